namespace Rookery.Simulation.Checking;

/// <summary>The checkers, by the property each one guards.</summary>
public enum Property
{
    /// <summary>Any two processes deliver the messages of a ring they both deliver in the same order.</summary>
    AgreedOrder,

    /// <summary>No duplicate, no invented or altered message, per-sender order, no hole before the transitional configuration.</summary>
    NoLossNoDuplicate,

    /// <summary>Processes that move together from one configuration to the next delivered the same set in it.</summary>
    VirtualSynchrony,

    /// <summary>All members of a ring agree on its id and members; configuration events are well formed.</summary>
    MembershipAgreement,

    /// <summary>Group membership events are identical on every node that shares the configuration.</summary>
    GroupAgreement,

    /// <summary>After healing, the cluster converges and delivers what was sent.</summary>
    Liveness,

    /// <summary>A scenario's own promise (for example: a link cut never changes the ring).</summary>
    Scenario,

    /// <summary>Never two quorate partitions: two processes that are both quorate share a member (votequorum's promise).</summary>
    QuorumSafety,

    /// <summary>Passive link mode sends on the highest-priority connected link, the lowest link number on ties (knet).</summary>
    LinkSelection,
}

/// <summary>One broken property, with when and where it was seen.</summary>
public sealed record Violation(Property Property, Instant At, ProcessId? Process, string Detail)
{
    public override string ToString() => $"[{Property}] at {At}{(Process is { } p ? $" on {p}" : "")}: {Detail}";
}
