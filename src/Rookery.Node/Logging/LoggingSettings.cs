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

    /// <summary>The most verbose priority shown for a subsystem (corosync: <c>info</c> unless debug is on).</summary>
    public LogPriority Threshold(string subsystem)
    {
        var debug = SubsystemDebug.TryGetValue(subsystem, out var own) ? own : Debug;
        return debug switch
        {
            LogDebug.On => LogPriority.Debug,
            LogDebug.Trace => LogPriority.Trace,
            _ => LogPriority.Info,
        };
    }
}
