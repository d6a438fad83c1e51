namespace Rookery.Node.Logging;

/// <summary>Keeps records in memory (tests, and in-process hosts that show the log themselves).</summary>
public sealed class MemoryLogSink : ILogSink
{
    private readonly Lock _lock = new();
    private readonly List<LogRecord> _records = [];

    public IReadOnlyList<LogRecord> Records
    {
        get
        {
            lock (_lock)
            {
                return _records.ToArray();
            }
        }
    }

    public void Write(in LogRecord record)
    {
        lock (_lock)
        {
            _records.Add(record);
        }
    }

    public void Dispose()
    {
    }
}
