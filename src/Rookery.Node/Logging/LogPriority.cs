namespace Rookery.Node.Logging;

/// <summary>One log event.</summary>
public readonly record struct LogRecord(DateTimeOffset Time, string Subsystem, LogPriority Priority, string Message, LogFields Fields);

/// <summary>Where log records go (stderr, the journal, a file, memory). Implementations are thread-safe.</summary>
public interface ILogSink : IDisposable
{
    void Write(in LogRecord record);
}

/// <summary>Formats shared by the text sinks (corosync's <c>logsys_format_set</c>: <c>"%7p [%6g] %b"</c>).</summary>
public static class LogFormat
{
    /// <summary>corosync's priority names as <c>%7p</c> prints them (left-aligned in 7 columns).</summary>
    public static string PriorityName(LogPriority priority) => priority switch
    {
        LogPriority.Emergency => "emerg  ",
        LogPriority.Alert => "alert  ",
        LogPriority.Critical => "crit   ",
        LogPriority.Error => "error  ",
        LogPriority.Warning => "warning",
        LogPriority.Notice => "notice ",
        LogPriority.Info => "info   ",
        LogPriority.Debug => "debug  ",
        _ => "trace  ",
    };

    /// <summary><c>[TOTEM ]</c>: the subsystem left-aligned in 6 columns between brackets.</summary>
    public static string Tag(string subsystem) => "[" + subsystem.PadRight(6) + "]";

    /// <summary><c>Mar 28 11:27:45.922</c> (hires) or <c>Mar 28 11:27:45</c>, or nothing; followed by a space.</summary>
    public static string Timestamp(DateTimeOffset time, LogTimestamp mode)
    {
        var local = time.ToLocalTime();
        var day = local.Day.ToString(System.Globalization.CultureInfo.InvariantCulture).PadLeft(2);
        return mode switch
        {
            LogTimestamp.Hires => $"{local:MMM} {day} {local:HH:mm:ss.fff} ",
            LogTimestamp.On => $"{local:MMM} {day} {local:HH:mm:ss} ",
            _ => string.Empty,
        };
    }
}
