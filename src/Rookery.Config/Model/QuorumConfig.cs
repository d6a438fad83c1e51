namespace Rookery.Config;

/// <summary>The <c>quorum { }</c> section (votequorum); <c>device { net { } }</c> keys are dotted (<c>device.net.host</c>).</summary>
public sealed class QuorumConfig : IEquatable<QuorumConfig>
{
    public QuorumConfig(bool present, KeyValues keys, int line = 0)
    {
        Present = present;
        Keys = keys;
        Line = line;
    }

    public static QuorumConfig Absent { get; } = new(false, KeyValues.Empty);

    public bool Present { get; }

    public KeyValues Keys { get; }

    public int Line { get; }

    /// <value>None: always quorate (corosync: <c>quorum.provider</c>).</value>
    public string? Provider => Keys["provider"];

    /// <summary>Whether votequorum is in use.</summary>
    public bool IsVotequorum => Provider == Defaults.QuorumProvider;

    /// <value>Sum of the nodelist's votes when unset (corosync: <c>quorum.expected_votes</c>).</value>
    public uint? ExpectedVotes => Keys.GetUInt32("expected_votes") is { } value and not 0 ? value : null;

    /// <value>1 by default; only used without a nodelist (corosync: <c>quorum.votes</c>).</value>
    public uint Votes => Keys.GetUInt32("votes") ?? Defaults.QuorumVotes;

    /// <value>0 by default (corosync: <c>quorum.two_node</c>).</value>
    public bool TwoNode => Flag("two_node") ?? false;

    /// <value>Follows two_node when unset (corosync: <c>quorum.wait_for_all</c>).</value>
    public bool WaitForAll => Flag("wait_for_all") ?? TwoNode;

    /// <value>0 by default (corosync: <c>quorum.last_man_standing</c>).</value>
    public bool LastManStanding => Flag("last_man_standing") ?? false;

    /// <value>10000 ms by default (corosync: <c>quorum.last_man_standing_window</c>).</value>
    public uint LastManStandingWindow => Keys.GetUInt32("last_man_standing_window") ?? Defaults.LastManStandingWindowMs;

    /// <value>0 by default (corosync: <c>quorum.auto_tie_breaker</c>).</value>
    public bool AutoTieBreaker => Flag("auto_tie_breaker") ?? false;

    /// <value>lowest by default (corosync: <c>quorum.auto_tie_breaker_node</c>).</value>
    public string AutoTieBreakerNode => Keys["auto_tie_breaker_node"] ?? Defaults.AutoTieBreakerNode;

    /// <value>0 by default; implies expected_votes_tracking (corosync: <c>quorum.allow_downscale</c>).</value>
    public bool AllowDownscale => Flag("allow_downscale") ?? false;

    /// <value>0 by default (corosync: <c>quorum.expected_votes_tracking</c>).</value>
    public bool ExpectedVotesTracking => (Flag("expected_votes_tracking") ?? false) || AllowDownscale;

    /// <summary>Whether a quorum device is configured (a <c>device { model: … }</c>).</summary>
    public bool HasDevice => Keys.Contains("device.model");

    /// <value>Computed by votequorum when unset (corosync: <c>quorum.device.votes</c>).</value>
    public uint? DeviceVotes => Keys.GetUInt32("device.votes");

    /// <value>10000 ms by default (corosync: <c>quorum.device.timeout</c>).</value>
    public uint DeviceTimeout => Keys.GetUInt32("device.timeout") ?? Defaults.DeviceTimeoutMs;

    /// <value>30000 ms by default (corosync: <c>quorum.device.sync_timeout</c>).</value>
    public uint DeviceSyncTimeout => Keys.GetUInt32("device.sync_timeout") ?? Defaults.DeviceSyncTimeoutMs;

    public bool Equals(QuorumConfig? other) => other is not null && Present == other.Present && Keys.Equals(other.Keys);

    public override bool Equals(object? obj) => Equals(obj as QuorumConfig);

    public override int GetHashCode() => HashCode.Combine(Present, Keys);

    private bool? Flag(string key) => Keys.GetUInt32(key) is { } value ? value != 0 : null;
}
