namespace Rookery.Config;

/// <summary>The <c>logging { }</c> section and its <c>logger_subsys { subsys: NAME … }</c> blocks.</summary>
public sealed class LoggingConfig : IEquatable<LoggingConfig>
{
    public LoggingConfig(bool present, KeyValues keys, IReadOnlyList<LoggerSubsysConfig> subsystems, int line = 0)
    {
        Present = present;
        Keys = keys;
        Subsystems = [.. subsystems.OrderBy(s => s.Subsys, StringComparer.Ordinal)];
        Line = line;
    }

    public static LoggingConfig Absent { get; } = new(false, KeyValues.Empty, []);

    public bool Present { get; }

    /// <summary>Top-level logging keys.</summary>
    public KeyValues Keys { get; }

    /// <summary>Per-subsystem overrides, by subsystem name (repeated blocks merged).</summary>
    public IReadOnlyList<LoggerSubsysConfig> Subsystems { get; }

    public int Line { get; }

    /// <value>yes by default (corosync: <c>logging.to_stderr</c>).</value>
    public bool ToStderr => Bool(Keys["to_stderr"]) ?? Defaults.LogToStderr;

    /// <value>yes by default (corosync: <c>logging.to_syslog</c>).</value>
    public bool ToSyslog => Bool(Keys["to_syslog"]) ?? Defaults.LogToSyslog;

    /// <value>no by default (corosync: <c>logging.to_logfile</c>).</value>
    public bool ToLogfile => Bool(Keys["to_logfile"]) ?? Defaults.LogToLogfile;

    /// <value>None by default; needed when to_logfile is on (corosync: <c>logging.logfile</c>).</value>
    public string? Logfile => Keys["logfile"];

    /// <value>off by default (corosync: <c>logging.debug</c>).</value>
    public string Debug => Keys["debug"] ?? Defaults.LogDebug;

    /// <value>hires by default (corosync: <c>logging.timestamp</c>).</value>
    public string Timestamp => Keys["timestamp"] ?? Defaults.LogTimestamp;

    /// <value>daemon by default (corosync: <c>logging.syslog_facility</c>).</value>
    public string SyslogFacility => Keys["syslog_facility"] ?? Defaults.LogSyslogFacility;

    /// <value>info by default (corosync: <c>logging.syslog_priority</c>).</value>
    public string SyslogPriority => Keys["syslog_priority"] ?? Defaults.LogSyslogPriority;

    /// <value>info by default (corosync: <c>logging.logfile_priority</c>).</value>
    public string LogfilePriority => Keys["logfile_priority"] ?? Defaults.LogLogfilePriority;

    /// <summary>The debug level of one subsystem (e.g. "KNET"): its own setting, else the global one.</summary>
    public string DebugFor(string subsys) =>
        Subsystems.FirstOrDefault(s => s.Subsys == subsys)?.Keys["debug"] ?? Debug;

    /// <summary>corosync's boolean words: yes/on and no/off; anything else is not a boolean.</summary>
    public static bool? Bool(string? value) => value switch
    {
        "yes" or "on" => true,
        "no" or "off" => false,
        _ => null,
    };

    public bool Equals(LoggingConfig? other) =>
        other is not null && Present == other.Present && Keys.Equals(other.Keys) && Subsystems.SequenceEqual(other.Subsystems);

    public override bool Equals(object? obj) => Equals(obj as LoggingConfig);

    public override int GetHashCode() => HashCode.Combine(Present, Keys, Subsystems.Count);
}

/// <summary>One <c>logger_subsys { }</c> block; <see cref="Keys"/> holds everything but <c>subsys</c>.</summary>
public sealed record LoggerSubsysConfig(string Subsys, KeyValues Keys, int Line = 0)
{
    public bool Equals(LoggerSubsysConfig? other) => other is not null && Subsys == other.Subsys && Keys.Equals(other.Keys);

    public override int GetHashCode() => HashCode.Combine(Subsys, Keys);
}

/// <summary>Any other section (system, resources, nozzle, top-level keys …): its keys, dotted.</summary>
public sealed record SectionConfig(string Name, KeyValues Keys, int Line = 0)
{
    public bool Equals(SectionConfig? other) => other is not null && Name == other.Name && Keys.Equals(other.Keys);

    public override int GetHashCode() => HashCode.Combine(Name, Keys);
}
