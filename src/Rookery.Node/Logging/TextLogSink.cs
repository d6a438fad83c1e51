namespace Rookery.Node.Logging;

/// <summary>
/// Lines in corosync's text formats: stderr <c>Mar 28 11:27:45.922 notice  [TOTEM ] …</c>, log file
/// <c>Mar 28 11:27:45.922 [22740] server1 rookery notice  [TOTEM ] …</c>.
/// </summary>
public sealed class TextLogSink : ILogSink
{
    private readonly LogTimestamp _timestamp;
    private readonly string _prefix;
    private readonly bool _ownsWriter;
    private readonly string? _path;
    private readonly Lock _lock = new();
    private TextWriter _writer;

    private TextLogSink(TextWriter writer, LogTimestamp timestamp, string prefix, bool ownsWriter, string? path = null)
    {
        _writer = writer;
        _timestamp = timestamp;
        _prefix = prefix;
        _ownsWriter = ownsWriter;
        _path = path;
    }

    /// <summary>A sink for standard error (or any writer): <c>[timestamp ]priority [SUBSYS] message</c>.</summary>
    public static TextLogSink ForConsole(TextWriter writer, LogTimestamp timestamp) => new(writer, timestamp, string.Empty, ownsWriter: false);

    /// <summary>A sink appending to a log file, with pid and host name as corosync writes them.</summary>
    public static TextLogSink ForFile(string path, LogTimestamp timestamp)
    {
        var prefix = $"[{Environment.ProcessId}] {Environment.MachineName} rookery ";
        return new TextLogSink(OpenFile(path), timestamp, prefix, ownsWriter: true, path);
    }

    /// <summary>A file sink opens its path again: lines written after this go to the file now at the path (logrotate moved the old one).</summary>
    public void Reopen()
    {
        if (_path is null)
        {
            return;
        }

        // Opened before the swap: when the path cannot be opened the old file keeps every line.
        var writer = OpenFile(_path);
        lock (_lock)
        {
            var old = _writer;
            _writer = writer;
            old.Dispose();
        }
    }

    private static StreamWriter OpenFile(string path) =>
        new(new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.ReadWrite | FileShare.Delete)) { AutoFlush = true };

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
