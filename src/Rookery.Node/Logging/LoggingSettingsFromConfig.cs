using Rookery.Config;

namespace Rookery.Node.Logging;

/// <summary>Maps the parsed <c>logging {}</c> section onto <see cref="LoggingSettings"/>.</summary>
public static class LoggingSettingsFromConfig
{
    /// <summary>
    /// The settings the section asks for. Values the config check already rejects (e.g. <c>debug: maybe</c>) fall
    /// back to corosync's defaults here, so a daemon never fails on logging alone.
    /// </summary>
    public static LoggingSettings From(LoggingConfig logging)
    {
        var subsystems = new Dictionary<string, LogDebug>(StringComparer.Ordinal);
        foreach (var subsystem in logging.Subsystems)
        {
            if (subsystem.Keys["debug"] is { } value)
            {
                subsystems[subsystem.Subsys] = Debug(value);
            }
        }

        return new LoggingSettings
        {
            Debug = Debug(logging.Debug),
            ToStderr = logging.ToStderr,
            ToSyslog = logging.ToSyslog,
            ToLogfile = logging.ToLogfile,
            Logfile = logging.Logfile,
            Timestamp = logging.Timestamp switch
            {
                "off" => LogTimestamp.Off,
                "on" => LogTimestamp.On,
                _ => LogTimestamp.Hires,
            },
            SubsystemDebug = subsystems,
            SyslogPriority = Priority(logging.SyslogPriority),
            LogfilePriority = Priority(logging.LogfilePriority),
            SyslogFacility = SyslogLogSink.Facility(logging.SyslogFacility) ?? SyslogLogSink.DaemonFacility,
        };
    }

    /// <summary>corosync's priority names (<c>logsys_priority_id_get</c>); unknown ones fall back to info.</summary>
    public static LogPriority Priority(string value) => value switch
    {
        "emerg" => LogPriority.Emergency,
        "alert" => LogPriority.Alert,
        "crit" => LogPriority.Critical,
        "err" or "error" => LogPriority.Error,
        "warning" or "warn" => LogPriority.Warning,
        "notice" => LogPriority.Notice,
        "debug" => LogPriority.Debug,
        "trace" => LogPriority.Trace,
        _ => LogPriority.Info,
    };

    private static LogDebug Debug(string value) => value switch
    {
        "on" or "yes" => LogDebug.On,
        "trace" => LogDebug.Trace,
        _ => LogDebug.Off,
    };
}
