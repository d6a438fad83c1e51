namespace Rookery.Control;

/// <summary>What one node of the nodelist did with a cluster-wide reload or config apply.</summary>
/// <param name="Nodeid">The node id.</param>
/// <param name="Name">Its nodelist name (or its first address).</param>
/// <param name="Local">True for the node the command ran on.</param>
/// <param name="Outcome"><c>applied</c>, <c>unchanged</c>, <c>refused</c>, <c>unreachable</c> or <c>no-report</c> (a member of a ring with corosync nodes).</param>
/// <param name="ConfigVersion">Its config_version after the request (null when unreachable).</param>
/// <param name="Applied">Changes it applied.</param>
/// <param name="Refused">Changes it refused, with the key and the reason.</param>
/// <param name="Errors">Configuration errors in its file (<c>file:line: reason</c>).</param>
/// <param name="Reason">Why it is unreachable, or why it refused the whole request.</param>
/// <param name="FileSha256">SHA-256 of its corosync.conf after the request, hex (null when unreachable).</param>
public sealed record MemberResult(
    uint Nodeid,
    string Name,
    bool Local,
    string Outcome,
    ulong? ConfigVersion,
    IReadOnlyList<string> Applied,
    IReadOnlyList<string> Refused,
    IReadOnlyList<string> Errors,
    string? Reason = null,
    string? FileSha256 = null);

/// <summary>The values of <see cref="MemberResult.Outcome"/>.</summary>
public static class MemberOutcomes
{
    public const string Applied = "applied";
    public const string Unchanged = "unchanged";
    public const string Refused = "refused";
    public const string Unreachable = "unreachable";

    /// <summary>A member of a ring with corosync nodes: it got the request but sends no report (the reason says why).</summary>
    public const string NoReport = "no-report";
}
