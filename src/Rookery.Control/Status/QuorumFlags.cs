namespace Rookery.Control;

/// <summary>The votequorum flag names corosync-quorumtool prints, in its order (<c>display_quorum_data</c>).</summary>
public static class QuorumFlags
{
    public const string TwoNode = "2Node";
    public const string Quorate = "Quorate";
    public const string WaitForAll = "WaitForAll";
    public const string LastManStanding = "LastManStanding";
    public const string AutoTieBreaker = "AutoTieBreaker";
    public const string AllowDownscale = "AllowDownscale";
    public const string Qdevice = "Qdevice";

    /// <summary>All flags in print order.</summary>
    public static IReadOnlyList<string> Ordered { get; } =
        [TwoNode, Quorate, WaitForAll, LastManStanding, AutoTieBreaker, AllowDownscale, Qdevice];

    /// <summary>Puts a set of flags in corosync's print order (unknown names are dropped).</summary>
    public static IReadOnlyList<string> InOrder(IEnumerable<string> flags)
    {
        var set = new HashSet<string>(flags, StringComparer.Ordinal);
        return Ordered.Where(set.Contains).ToArray();
    }
}
