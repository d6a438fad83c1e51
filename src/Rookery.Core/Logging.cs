namespace Rookery;

/// <summary>Syslog priorities as corosync (libqb) names them, plus libqb's <c>trace</c> below debug.</summary>
public enum LogPriority
{
    Emergency = 0,
    Alert = 1,
    Critical = 2,
    Error = 3,
    Warning = 4,
    Notice = 5,
    Info = 6,
    Debug = 7,
    Trace = 8,
}

/// <summary>corosync's subsystem tags (<c>logger_subsys { subsys: … }</c>), printed as <c>[TOTEM ]</c>.</summary>
public static class LogSubsystem
{
    public const string Main = "MAIN";
    public const string Totem = "TOTEM";
    public const string Knet = "KNET";
    public const string Quorum = "QUORUM";
    public const string Votequorum = "VOTEQ";
    public const string Cpg = "CPG";
    public const string Cfg = "CFG";
    public const string Cmap = "CMAP";
    public const string Sync = "SYNC";
    public const string Ipc = "QB";

    /// <summary>Every subsystem name <c>logger_subsys</c> accepts.</summary>
    public static IReadOnlyList<string> All { get; } = [Main, Totem, Knet, Quorum, Votequorum, Cpg, Cfg, Cmap, Sync, Ipc];
}

/// <summary>Structured fields a log line may carry (journal fields <c>NODE</c>, <c>LINK</c>, <c>RING</c>).</summary>
/// <param name="Node">The node the line is about (a peer, or the local node).</param>
/// <param name="Link">The link the line is about.</param>
/// <param name="Ring">The ring id, <c>rep.seq</c> in hex.</param>
public readonly record struct LogFields(uint? Node = null, int? Link = null, string? Ring = null);

/// <summary>One log record of a core, in corosync's wording where admins grep for it.</summary>
/// <param name="Subsystem">corosync's tag (<see cref="LogSubsystem"/>), printed as <c>[TOTEM ]</c>.</param>
/// <param name="Priority">The one log-level vocabulary of every core and shell (syslog's).</param>
/// <param name="Text">The message.</param>
/// <param name="Fields">Structured fields for the journal.</param>
public readonly record struct LogEntry(string Subsystem, LogPriority Priority, string Text, LogFields Fields = default)
{
    public override string ToString() => $"{Priority.ToString().ToLowerInvariant()} [{Subsystem}] {Text}";
}
