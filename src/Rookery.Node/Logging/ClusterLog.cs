namespace Rookery.Node.Logging;

/// <summary>
/// The node's log: corosync's subsystem tags and priorities, filtered by the <c>logging {}</c> section, written
/// to every configured sink. Thread-safe; <c>Reconfigure</c> swaps settings (and sinks) atomically
/// (after a reload).
/// </summary>
public sealed class ClusterLog : IDisposable
{
    private readonly TimeProvider _time;
    private readonly LogRateLimiter _limiter = new();
    private readonly List<LogRecord> _summaries = [];
    private volatile State _state;

    public ClusterLog(LoggingSettings settings, IReadOnlyList<ILogSink> sinks, TimeProvider? time = null)
    {
        _time = time ?? TimeProvider.System;
        _state = new State(settings, sinks);
    }

    /// <summary>A log that drops everything.</summary>
    public static ClusterLog Null { get; } = new(new LoggingSettings(), []);

    public LoggingSettings Settings => _state.Settings;

    public bool IsEnabled(string subsystem, LogPriority priority) => priority <= _state.Settings.Threshold(subsystem);

    public void Write(string subsystem, LogPriority priority, string message, LogFields fields = default)
    {
        var state = _state;
        if (priority > state.Settings.Threshold(subsystem))
        {
            return;
        }

        var now = _time.GetUtcNow();
        bool admitted;
        lock (_limiter)
        {
            admitted = _limiter.Admit(now, subsystem, priority, message, _summaries);
            WriteSummaries(state);
        }

        if (!admitted)
        {
            return;
        }

        var record = new LogRecord(now, subsystem, priority, message, fields);
        foreach (var sink in state.Sinks)
        {
            sink.Write(record);
        }
    }

    /// <summary>Writes the "not logged" summaries of rate-limited lines whose window has ended (the daemon's loop calls this).</summary>
    public void FlushSuppressed()
    {
        lock (_limiter)
        {
            _limiter.Flush(_time.GetUtcNow(), _summaries);
            WriteSummaries(_state);
        }
    }

    private void WriteSummaries(State state)
    {
        foreach (var summary in _summaries)
        {
            foreach (var sink in state.Sinks)
            {
                sink.Write(summary);
            }
        }

        _summaries.Clear();
    }

    public void Notice(string subsystem, string message, LogFields fields = default) => Write(subsystem, LogPriority.Notice, message, fields);

    public void Info(string subsystem, string message, LogFields fields = default) => Write(subsystem, LogPriority.Info, message, fields);

    public void Warning(string subsystem, string message, LogFields fields = default) => Write(subsystem, LogPriority.Warning, message, fields);

    public void Error(string subsystem, string message, LogFields fields = default) => Write(subsystem, LogPriority.Error, message, fields);

    public void Debug(string subsystem, string message, LogFields fields = default) => Write(subsystem, LogPriority.Debug, message, fields);

    /// <summary>Replaces the settings and keeps the sinks (a host that owns where the log goes).</summary>
    public void Reconfigure(LoggingSettings settings) => _state = _state with { Settings = settings };

    /// <summary>Replaces settings and sinks; the old sinks are disposed unless they are reused.</summary>
    public void Reconfigure(LoggingSettings settings, IReadOnlyList<ILogSink> sinks)
    {
        var old = _state;
        _state = new State(settings, sinks);
        foreach (var sink in old.Sinks)
        {
            if (!sinks.Contains(sink))
            {
                sink.Dispose();
            }
        }
    }

    /// <summary>
    /// Reopens every sink's file (<see cref="ILogSink.Reopen"/>); returns what could not be reopened, one line each
    /// (those sinks keep writing to their old file).
    /// </summary>
    public IReadOnlyList<string> ReopenFiles()
    {
        var problems = new List<string>();
        foreach (var sink in _state.Sinks)
        {
            try
            {
                sink.Reopen();
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                problems.Add($"cannot reopen the log file: {exception.Message}; the log still goes to the old file");
            }
        }

        return problems;
    }

    public void Dispose()
    {
        foreach (var sink in _state.Sinks)
        {
            sink.Dispose();
        }
    }

    private sealed record State(LoggingSettings Settings, IReadOnlyList<ILogSink> Sinks);
}
