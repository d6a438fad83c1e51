namespace Rookery.Node.Logging;

/// <summary>
/// Rate-limits the log lines that a single datagram or control frame can cause, so that whoever can
/// send many (a key holder forging CPG messages, a replay, a local client) cannot flood the log. Each
/// listed line kind may write <see cref="BurstLines"/> lines per <see cref="Window"/>; the rest are
/// counted, and when the window ends one line says how many were not logged, with the kind's own
/// words first so that a grep for corosync's wording still finds it. Lines not listed pass untouched.
/// Time comes in as an argument; the caller serialises calls.
/// </summary>
public sealed class LogRateLimiter
{
    /// <summary>Lines of one kind written per window before the rest are counted instead.</summary>
    public const int BurstLines = 10;

    /// <summary>The window over which <see cref="BurstLines"/> applies.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Every line one received message can cause (subsystem, leading words). Identified by their
    /// leading words because the cores that emit them are pure and know nothing of rates.
    /// </summary>
    public static IReadOnlyList<(string Subsystem, string Prefix)> PerMessageLines { get; } =
    [
        (LogSubsystem.Cpg, "Unknown node -> we will not deliver message"),
        (LogSubsystem.Cpg, "downlist left_list:"),
        (LogSubsystem.Cpg, "downlist OLD from node"),
        (LogSubsystem.Totem, "Received LEAVE message from"),
        (LogSubsystem.Totem, "Retransmit List:"),
        (LogSubsystem.Ipc, "control frame refused"),
        (LogSubsystem.Ipc, "control connection closed"),
        (LogSubsystem.Ipc, "control connection refused"),
        (LogSubsystem.Ipc, "control client ("),
        (LogSubsystem.Ipc, "control request '"),
        (LogSubsystem.Ipc, "control socket accept failed"),
        (LogSubsystem.Ipc, "Denied connection to"),
        (LogSubsystem.Ipc, "Denied connection attempt from"),
        (LogSubsystem.Ipc, "IPC client pid"),
        (LogSubsystem.Ipc, "IPC request"),
        (LogSubsystem.Ipc, "IPC connection to"),
        (LogSubsystem.Ipc, "shm connection FAILED"),
        (LogSubsystem.Ipc, "cannot create a ring directory"),
        (LogSubsystem.Main, "join request from"),
        (LogSubsystem.Main, "join connection from"),
        (LogSubsystem.Cfg, "config apply from node"),
    ];

    private readonly Dictionary<int, Kind> _kinds = [];
    private DateTimeOffset _nextWindowEnd = DateTimeOffset.MaxValue;

    /// <summary>
    /// Whether the line may be written now. <paramref name="summaries"/> gets the summary lines of
    /// windows that ended (to be written before this line); it is not cleared.
    /// </summary>
    public bool Admit(DateTimeOffset now, string subsystem, LogPriority priority, string message, List<LogRecord> summaries)
    {
        Flush(now, summaries);
        var index = KindOf(subsystem, message);
        if (index < 0)
        {
            return true;
        }

        if (!_kinds.TryGetValue(index, out var kind))
        {
            kind = new Kind { WindowEnd = now + Window };
            _kinds[index] = kind;
            _nextWindowEnd = _nextWindowEnd < kind.WindowEnd ? _nextWindowEnd : kind.WindowEnd;
        }

        kind.Written++;
        if (kind.Written <= BurstLines)
        {
            return true;
        }

        kind.Suppressed++;
        kind.LastMessage = message;
        kind.LastPriority = priority;
        kind.Subsystem = subsystem;
        return false;
    }

    /// <summary>Ends the windows that are over: their summaries go to <paramref name="summaries"/>.</summary>
    public void Flush(DateTimeOffset now, List<LogRecord> summaries)
    {
        ArgumentNullException.ThrowIfNull(summaries);
        if (now < _nextWindowEnd)
        {
            return;
        }

        _nextWindowEnd = DateTimeOffset.MaxValue;
        foreach (var (index, kind) in _kinds.ToList())
        {
            if (kind.WindowEnd > now)
            {
                _nextWindowEnd = _nextWindowEnd < kind.WindowEnd ? _nextWindowEnd : kind.WindowEnd;
                continue;
            }

            _kinds.Remove(index);
            if (kind.Suppressed > 0)
            {
                summaries.Add(new LogRecord(
                    now,
                    kind.Subsystem,
                    kind.LastPriority,
                    $"{kind.LastMessage} (and {kind.Suppressed} more lines like it in {Window.TotalSeconds:0} s, not logged)",
                    default));
            }
        }
    }

    private static int KindOf(string subsystem, string message)
    {
        for (var i = 0; i < PerMessageLines.Count; i++)
        {
            var (kindSubsystem, prefix) = PerMessageLines[i];
            if (subsystem == kindSubsystem && message.StartsWith(prefix, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    private sealed class Kind
    {
        public DateTimeOffset WindowEnd { get; init; }

        public int Written { get; set; }

        public long Suppressed { get; set; }

        public string LastMessage { get; set; } = string.Empty;

        public LogPriority LastPriority { get; set; }

        public string Subsystem { get; set; } = string.Empty;
    }
}
