namespace Rookery.Node.Logging;

/// <summary>
/// Lines in corosync's text formats: stderr <c>Mar 28 11:27:45.922 notice  [TOTEM ] …</c>, log file
/// <c>Mar 28 11:27:45.922 [22740] server1 rookery notice  [TOTEM ] …</c>.
/// </summary>
public sealed class TextLogSink : ILogSink
{
    private readonly TextWriter _writer;
    private readonly LogTimestamp _timestamp;
    private readonly string _prefix;
    private readonly bool _ownsWriter;
    private readonly Lock _lock = new();

    private TextLogSink(TextWriter writer, LogTimestamp timestamp, string prefix, bool ownsWriter)
    {
        _writer = writer;
        _timestamp = timestamp;
        _prefix = prefix;
        _ownsWriter = ownsWriter;
    }

    /// <summary>A sink for standard error (or any writer): <c>[timestamp ]priority [SUBSYS] message</c>.</summary>
    public static TextLogSink ForConsole(TextWriter writer, LogTimestamp timestamp) => new(writer, timestamp, string.Empty, ownsWriter: false);

    /// <summary>A sink appending to a log file, with pid and host name as corosync writes them.</summary>
    public static TextLogSink ForFile(string path, LogTimestamp timestamp)
    {
        var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete);
        var writer = new StreamWriter(stream) { AutoFlush = true };
        var prefix = $"[{Environment.ProcessId}] {Environment.MachineName} rookery ";
        return new TextLogSink(writer, timestamp, prefix, ownsWriter: true);
    }

    public static string FormatLine(in LogRecord record, LogTimestamp timestamp, string prefix = "") =>
        LogFormat.Timestamp(record.Time, timestamp) + prefix + LogFormat.PriorityName(record.Priority) + " " +
        LogFormat.Tag(record.Subsystem) + " " + record.Message;

    public void Write(in LogRecord record)
    {
        var line = FormatLine(record, _timestamp, _prefix);
        lock (_lock)
        {
            try
            {
                _writer.WriteLine(line);
                _writer.Flush();
            }
            catch (IOException)
            {
                // A closed stderr or a full disk must not take the node down; the line is lost.
            }
            catch (ObjectDisposedException)
            {
                // Written during shutdown after the writer closed.
            }
        }
    }

    public void Dispose()
    {
        if (_ownsWriter)
        {
            lock (_lock)
            {
                _writer.Dispose();
            }
        }
    }
}
