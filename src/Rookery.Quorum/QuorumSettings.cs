namespace Rookery.Quorum;

/// <summary>The votequorum defaults in the core's types; the values are those of <see cref="Rookery.Config.Defaults"/>, the one place.</summary>
public static class QuorumDefaults
{
    /// <summary><c>nodelist.node.X.quorum_votes</c> and <c>quorum.votes</c>.</summary>
    public const uint NodeVotes = Rookery.Config.Defaults.QuorumVotes;

    /// <summary><c>quorum.last_man_standing_window</c>.</summary>
    public static Duration LastManStandingWindow => Duration.FromMilliseconds(Rookery.Config.Defaults.LastManStandingWindowMs);

    /// <summary><c>quorum.device.timeout</c>.</summary>
    public static Duration DeviceTimeout => Duration.FromMilliseconds(Rookery.Config.Defaults.DeviceTimeoutMs);

    /// <summary><c>quorum.device.sync_timeout</c>.</summary>
    public static Duration DeviceSyncTimeout => Duration.FromMilliseconds(Rookery.Config.Defaults.DeviceSyncTimeoutMs);

    /// <summary>The provider name <c>quorum.provider</c> must have; shown as "Quorum provider:".</summary>
    public const string Provider = Rookery.Config.Defaults.QuorumProvider;
}

/// <summary>Which partition wins an exact 50% split (<c>quorum.auto_tie_breaker_node</c>); values are <c>runtime.votequorum.atb_type</c>.</summary>
public enum AutoTieBreakerMode
{
    None = 0,
    Lowest = 1,
    Highest = 2,
    List = 3,
}

/// <summary>One node of the nodelist as votequorum sees it.</summary>
public readonly record struct NodelistVotes(NodeId NodeId, uint Votes);

/// <summary>
/// The quorum section and nodelist votes as configured (corosync.conf keys named on each property).
/// The node shell builds it from the parsed configuration; <see cref="QuorumConfiguration.Resolve"/> checks it.
/// </summary>
public sealed record QuorumSettings
{
    /// <summary>This node's id (<c>nodelist.node.X.nodeid</c> of the local node).</summary>
    public required NodeId LocalNode { get; init; }

    /// <summary>The nodelist (<c>nodelist.node.X.quorum_votes</c>), or null when the configuration has none.</summary>
    public IReadOnlyList<NodelistVotes>? Nodelist { get; init; }

    /// <summary><c>quorum.expected_votes</c> (0 = not set).</summary>
    public uint ExpectedVotes { get; init; }

    /// <summary><c>quorum.votes</c>, used only without a nodelist.</summary>
    public uint Votes { get; init; } = QuorumDefaults.NodeVotes;

    /// <summary><c>quorum.two_node</c>.</summary>
    public bool TwoNode { get; init; }

    /// <summary><c>quorum.wait_for_all</c>; null when not set, in which case it follows two_node.</summary>
    public bool? WaitForAll { get; init; }

    /// <summary><c>quorum.last_man_standing</c>.</summary>
    public bool LastManStanding { get; init; }

    /// <summary><c>quorum.last_man_standing_window</c>.</summary>
    public Duration LastManStandingWindow { get; init; } = QuorumDefaults.LastManStandingWindow;

    /// <summary><c>quorum.auto_tie_breaker</c>.</summary>
    public bool AutoTieBreaker { get; init; }

    /// <summary><c>quorum.auto_tie_breaker_node</c>: "lowest", "highest" or a space-separated list of node ids; null when not set.</summary>
    public string? AutoTieBreakerNode { get; init; }

    /// <summary><c>quorum.allow_downscale</c> (implies expected votes tracking).</summary>
    public bool AllowDownscale { get; init; }

    /// <summary><c>quorum.expected_votes_tracking</c>.</summary>
    public bool ExpectedVotesTracking { get; init; }

    /// <summary>The highest expected votes ever seen, as the shell read it from <c>&lt;state_dir&gt;/ev_tracking</c> (0 when absent).</summary>
    public uint ExpectedVotesTrackingBarrier { get; init; }

    /// <summary>Whether <c>quorum.device</c> is configured (with a model).</summary>
    public bool QuorumDeviceConfigured { get; init; }

    /// <summary><c>quorum.device.timeout</c>: a registered device that does not poll within it loses its vote.</summary>
    public Duration QuorumDeviceTimeout { get; init; } = QuorumDefaults.DeviceTimeout;

    /// <summary><c>quorum.device.sync_timeout</c>: how long a membership change waits for the device's poll.</summary>
    public Duration QuorumDeviceSyncTimeout { get; init; } = QuorumDefaults.DeviceSyncTimeout;

    /// <summary><c>quorum.device.votes</c>; null when not set.</summary>
    public uint? QuorumDeviceVotes { get; init; }
}

/// <summary>The checked configuration the core runs with: what <c>votequorum_readconfig</c> leaves enabled.</summary>
public sealed record QuorumConfiguration
{
    public required NodeId LocalNode { get; init; }

    public required uint Votes { get; init; }

    public required uint ExpectedVotes { get; init; }

    public required bool TwoNode { get; init; }

    public required bool WaitForAll { get; init; }

    public required bool LastManStanding { get; init; }

    public required Duration LastManStandingWindow { get; init; }

    public required AutoTieBreakerMode AutoTieBreaker { get; init; }

    /// <summary>The node ids of <c>auto_tie_breaker_node</c> in the order given (mode <see cref="AutoTieBreakerMode.List"/>).</summary>
    public required IReadOnlyList<NodeId> AutoTieBreakerNodes { get; init; }

    public required bool AllowDownscale { get; init; }

    public required bool ExpectedVotesTracking { get; init; }

    public required uint ExpectedVotesTrackingBarrier { get; init; }

    public required uint QuorumDeviceVotes { get; init; }

    public Duration QuorumDeviceTimeout { get; init; } = QuorumDefaults.DeviceTimeout;

    public Duration QuorumDeviceSyncTimeout { get; init; } = QuorumDefaults.DeviceSyncTimeout;

    /// <summary>
    /// Checks the settings as corosync's <c>votequorum_readconfig</c> does at startup. Returns null and sets
    /// <paramref name="error"/> to corosync's message when corosync would refuse to start; appends the
    /// critical and warning lines corosync logs when it disables a feature instead.
    /// </summary>
    public static QuorumConfiguration? Resolve(QuorumSettings settings, List<LogEntry> log, out string? error)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(log);
        error = null;
        var haveNodelist = settings.Nodelist is not null && settings.Nodelist.Any(n => n.NodeId == settings.LocalNode);
        var nodeCount = haveNodelist ? (uint)settings.Nodelist!.Count : 0;
        var nodelistExpected = haveNodelist ? settings.Nodelist!.Aggregate(0u, (sum, n) => sum + n.Votes) : 0;
        var haveQdevice = settings.QuorumDeviceConfigured;
        var qdeviceVotes = settings.QuorumDeviceVotes;

        if (!haveNodelist && settings.ExpectedVotes == 0)
        {
            error = "configuration error: nodelist or quorum.expected_votes must be configured!";
            return null;
        }

        if (settings.TwoNode && haveQdevice)
        {
            error = "configuration error: two_node and quorum device cannot be configured at the same time!";
            return null;
        }

        var atb = AutoTieBreakerMode.None;
        var atbNodes = new List<NodeId>();
        if (settings.AutoTieBreaker)
        {
            atb = AutoTieBreakerMode.Lowest;
            if (settings.AutoTieBreakerNode is not null)
            {
                atb = ParseAutoTieBreakerNode(settings.AutoTieBreakerNode, atbNodes, log);
            }
        }
        else if (settings.AutoTieBreakerNode is not null)
        {
            log.Add(new(LogSubsystem.Votequorum, LogPriority.Warning, "auto_tie_breaker_node: is meaningless if auto_tie_breaker is set to 0"));
        }

        var twoNode = settings.TwoNode;
        var waitForAll = settings.WaitForAll ?? twoNode;
        if (twoNode && atb != AutoTieBreakerMode.None)
        {
            log.Add(new(LogSubsystem.Votequorum, LogPriority.Critical, "two_node and auto_tie_breaker are both specified but are not compatible."));
            log.Add(new(LogSubsystem.Votequorum, LogPriority.Critical, "two_node has been disabled, please fix your corosync.conf"));
            twoNode = false;
            waitForAll = settings.WaitForAll ?? false;
        }

        if (atb != AutoTieBreakerMode.None && nodelistExpected % 2 == 1 && !waitForAll)
        {
            if (settings.LastManStanding)
            {
                log.Add(new(LogSubsystem.Votequorum, LogPriority.Critical, "auto_tie_breaker is set, the cluster has an odd number of nodes"));
                log.Add(new(LogSubsystem.Votequorum, LogPriority.Critical, "and last_man_standing is also set. With this situation a better"));
                log.Add(new(LogSubsystem.Votequorum, LogPriority.Critical, "solution would be to disable LMS, leave ATB enabled, and also"));
                log.Add(new(LogSubsystem.Votequorum, LogPriority.Critical, "enable wait_for_all (mandatory for ATB in odd-numbered clusters)."));
                log.Add(new(LogSubsystem.Votequorum, LogPriority.Critical, "Due to this ambiguity, corosync will fail to start. Please fix your corosync.conf"));
                error = "configuration error: auto_tie_breaker & last_man_standing not available in odd sized cluster";
                return null;
            }

            log.Add(new(LogSubsystem.Votequorum, LogPriority.Critical, "auto_tie_breaker is set and the cluster has an odd number of nodes."));
            log.Add(new(LogSubsystem.Votequorum, LogPriority.Critical, "wait_for_all needs to be set for this configuration but it is missing"));
            log.Add(new(LogSubsystem.Votequorum, LogPriority.Critical, "Therefore auto_tie_breaker has been disabled. Please fix your corosync.conf"));
            atb = AutoTieBreakerMode.None;
            atbNodes.Clear();
        }

        if (haveQdevice && settings.LastManStanding)
        {
            error = "configuration error: quorum.device is not compatible with last_man_standing";
            return null;
        }

        if (haveQdevice && atb != AutoTieBreakerMode.None)
        {
            error = "configuration error: quorum.device is not compatible with auto_tie_breaker";
            return null;
        }

        if (haveQdevice && settings.AllowDownscale)
        {
            error = "configuration error: quorum.device is not compatible with allow_downscale";
            return null;
        }

        if (settings.ExpectedVotes != 0 && haveQdevice && qdeviceVotes is null)
        {
            error = "configuration error: quorum.device.votes must be specified when quorum.expected_votes is set";
            return null;
        }

        if (haveQdevice && qdeviceVotes is null && haveNodelist && nodeCount != nodelistExpected)
        {
            error = "configuration error: quorum.device.votes must be specified when not all nodes votes 1";
            return null;
        }

        if (qdeviceVotes is > 0 && settings.ExpectedVotes != 0 && (long)settings.ExpectedVotes - qdeviceVotes.Value < 2)
        {
            error = "configuration error: quorum.device.votes is too high or expected_votes is too low";
            return null;
        }

        if (haveQdevice && qdeviceVotes is null && settings.ExpectedVotes == 0 && haveNodelist && nodeCount == nodelistExpected)
        {
            qdeviceVotes = nodelistExpected - 1;
            nodelistExpected += qdeviceVotes.Value;
        }

        var evTracking = settings.ExpectedVotesTracking || settings.AllowDownscale;
        uint votes;
        uint expected;
        if (haveNodelist)
        {
            votes = settings.Nodelist!.First(n => n.NodeId == settings.LocalNode).Votes;
            expected = nodelistExpected;
        }
        else
        {
            votes = settings.Votes;
            expected = 0;
        }

        var configuredExpected = evTracking ? settings.ExpectedVotesTrackingBarrier : settings.ExpectedVotes;
        if (configuredExpected != 0)
        {
            expected = configuredExpected;
        }

        return new QuorumConfiguration
        {
            LocalNode = settings.LocalNode,
            Votes = votes,
            ExpectedVotes = expected,
            TwoNode = twoNode,
            WaitForAll = waitForAll,
            LastManStanding = settings.LastManStanding,
            LastManStandingWindow = settings.LastManStandingWindow,
            AutoTieBreaker = atb,
            AutoTieBreakerNodes = atbNodes,
            AllowDownscale = settings.AllowDownscale,
            ExpectedVotesTracking = evTracking,
            ExpectedVotesTrackingBarrier = settings.ExpectedVotesTrackingBarrier,
            QuorumDeviceVotes = haveQdevice ? qdeviceVotes ?? 0 : 0,
            QuorumDeviceTimeout = settings.QuorumDeviceTimeout,
            QuorumDeviceSyncTimeout = settings.QuorumDeviceSyncTimeout,
        };
    }

    private static AutoTieBreakerMode ParseAutoTieBreakerNode(string value, List<NodeId> nodes, List<LogEntry> log)
    {
        switch (value.Trim())
        {
            case "lowest":
                return AutoTieBreakerMode.Lowest;
            case "highest":
                return AutoTieBreakerMode.Highest;
        }

        foreach (var part in value.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries))
        {
            if (!uint.TryParse(part, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var id) || id == 0)
            {
                break;
            }

            nodes.Add(new NodeId(id));
        }

        if (nodes.Count > 0)
        {
            return AutoTieBreakerMode.List;
        }

        log.Add(new(
            LogSubsystem.Votequorum,
            LogPriority.Warning,
            "auto_tie_breaker_nodes is not valid. It must be 'lowest', 'highest' or a space-separated list of node IDs. auto_tie_breaker is disabled"));
        return AutoTieBreakerMode.None;
    }
}
