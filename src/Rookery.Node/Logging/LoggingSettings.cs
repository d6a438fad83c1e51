namespace Rookery.Node.Logging;

/// <summary>corosync's <c>debug</c> values.</summary>
public enum LogDebug
{
    Off,
    On,
    Trace,
}

/// <summary>corosync's <c>timestamp</c> values.</summary>
public enum LogTimestamp
{
    Off,
    On,
    Hires,
}

/// <summary>
/// The <c>logging {}</c> section (corosync.conf(5), exec/logconfig.c). Defaults are corosync's.
/// </summary>
public sealed record LoggingSettings
{
    /// <value><c>off</c> by default (corosync: <c>logging.debug</c>); <c>on</c> logs debug, <c>trace</c> everything.</value>
    public LogDebug Debug { get; init; } = LogDebug.Off;

    /// <value>True by default (corosync: <c>logging.to_stderr</c>).</value>
    public bool ToStderr { get; init; } = true;

    /// <value>True by default (corosync: <c>logging.to_syslog</c>); under systemd this is the journal.</value>
    public bool ToSyslog { get; init; } = true;

    /// <value>False by default (corosync: <c>logging.to_logfile</c>); needs <see cref="Logfile"/>.</value>
    public bool ToLogfile { get; init; }

    /// <value>None by default (corosync: <c>logging.logfile</c>).</value>
    public string? Logfile { get; init; }

    /// <value><c>hires</c> by default (corosync: <c>logging.timestamp</c>, milliseconds).</value>
    public LogTimestamp Timestamp { get; init; } = LogTimestamp.Hires;

    /// <value>Per-subsystem <c>debug</c> from <c>logger_subsys { subsys: X debug: on }</c>; empty by default.</value>
    public IReadOnlyDictionary<string, LogDebug> SubsystemDebug { get; init; } = new Dictionary<string, LogDebug>();

    /// <value><c>info</c> by default (corosync: <c>logging.syslog_priority</c>): the least urgent priority sent to syslog or the journal.</value>
    public LogPriority SyslogPriority { get; init; } = LogPriority.Info;

    /// <value><c>info</c> by default (corosync: <c>logging.logfile_priority</c>): the least urgent priority written to stderr and the log file.</value>
    public LogPriority LogfilePriority { get; init; } = LogPriority.Info;

    /// <value><c>daemon</c> (3) by default (corosync: <c>logging.syslog_facility</c>), as a syslog(3) facility code.</value>
    public int SyslogFacility { get; init; } = SyslogLogSink.DaemonFacility;

    /// <summary>The most verbose priority any destination shows for a subsystem (records above it are not even formatted).</summary>
    public LogPriority Threshold(string subsystem) =>
        (LogPriority)Math.Max((int)Threshold(subsystem, LogTarget.Syslog), (int)Threshold(subsystem, LogTarget.Logfile));

    /// <summary>
    /// The most verbose priority one destination shows, as corosync sets its filters (<c>_logsys_config_apply_per_file</c>):
    /// <c>syslog_priority</c> for syslog and the journal, <c>logfile_priority</c> for stderr and the log file; with
    /// <c>debug: on</c> both become debug, with <c>debug: trace</c> trace.
    /// </summary>
    public LogPriority Threshold(string subsystem, LogTarget target)
    {
        var debug = SubsystemDebug.TryGetValue(subsystem, out var own) ? own : Debug;
        return debug switch
        {
            LogDebug.On => LogPriority.Debug,
            LogDebug.Trace => LogPriority.Trace,
            _ => target == LogTarget.Syslog ? SyslogPriority : LogfilePriority,
        };
    }
}

/// <summary>Which of corosync's priority filters applies to a destination.</summary>
public enum LogTarget
{
    /// <summary>syslog or the journal (<c>syslog_priority</c>).</summary>
    Syslog,

    /// <summary>stderr or the log file (<c>logfile_priority</c>).</summary>
    Logfile,
}

/// <summary>A destination behind one of corosync's priority filters (see <see cref="LoggingSettings.Threshold(string, LogTarget)"/>).</summary>
public sealed class FilteredLogSink(ILogSink inner, LoggingSettings settings, LogTarget target) : ILogSink
{
    public ILogSink Inner => inner;

    public void Write(in LogRecord record)
    {
        if (record.Priority <= settings.Threshold(record.Subsystem, target))
        {
            inner.Write(record);
        }
    }

    public void Reopen() => inner.Reopen();

    public void Dispose() => inner.Dispose();
}
