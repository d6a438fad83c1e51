using Rookery.Config;
using Rookery.Groups;
using Rookery.Quorum;
using Rookery.Totem;

namespace Rookery.Services;

/// <summary>Builds a node's Totem and services from its parsed configuration (the node shell and tests share it).</summary>
public static class NodeStackFactory
{
    /// <summary>Totem's options from the derived timers of the configuration (corosync's formulas are in Config's <see cref="TotemTimers"/>).</summary>
    public static TotemOptions TotemOptionsFor(CorosyncConfig config) => TotemOptions.From(config.Timers, config.Totem.CancelTokenHoldOnRetransmit);

    /// <summary>votequorum's settings from the quorum section and the nodelist votes.</summary>
    public static QuorumSettings QuorumSettingsFor(CorosyncConfig config, NodeId local, uint trackingBarrier)
    {
        var quorum = config.Quorum;
        return new QuorumSettings
        {
            LocalNode = local,
            Nodelist = config.Nodes.Count == 0
                ? null
                : config.Nodes.Where(n => n.NodeId is not null).Select(n => new NodelistVotes(new NodeId(n.NodeId!.Value), n.QuorumVotes)).ToArray(),
            ExpectedVotes = quorum.ExpectedVotes ?? 0,
            Votes = quorum.Votes,
            TwoNode = quorum.TwoNode,
            WaitForAll = quorum.Keys.Contains("wait_for_all") ? quorum.WaitForAll : null,
            LastManStanding = quorum.LastManStanding,
            LastManStandingWindow = Duration.FromMilliseconds(quorum.LastManStandingWindow),
            AutoTieBreaker = quorum.AutoTieBreaker,
            AutoTieBreakerNode = quorum.Keys["auto_tie_breaker_node"],
            AllowDownscale = quorum.AllowDownscale,
            ExpectedVotesTracking = quorum.ExpectedVotesTracking,
            ExpectedVotesTrackingBarrier = trackingBarrier,
            QuorumDeviceConfigured = quorum.HasDevice,
            QuorumDeviceVotes = quorum.DeviceVotes,
        };
    }

    /// <summary>
    /// The whole stack for <paramref name="local"/>. Returns null with corosync's startup error (e.g. a votequorum
    /// configuration conflict) in <paramref name="error"/>; <paramref name="log"/> gets the lines corosync logs
    /// when it disables a feature instead.
    /// </summary>
    public static NodeStack? Create(
        CorosyncConfig config,
        NodeId local,
        ulong persistedRingSequence,
        uint trackingBarrier,
        Prng prng,
        List<ServiceLog> log,
        out string? error)
    {
        var options = TotemOptionsFor(config);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            error = string.Join("; ", problems);
            return null;
        }

        var quorumLog = new List<QuorumLogLine>();
        var quorumConfiguration = QuorumConfiguration.Resolve(QuorumSettingsFor(config, local, trackingBarrier), quorumLog, out error);
        foreach (var line in quorumLog)
        {
            log.Add(new ServiceLog(line.Subsystem, ServiceLayer.Priority(line.Level), line.Text));
        }

        if (quorumConfiguration is null)
        {
            return null;
        }

        var totem = new TotemSrp(local, options, prng, persistedRingSequence);
        var services = new ServiceLayer(local, config.Totem.ConfigVersion, new Votequorum(quorumConfiguration), new ProcessGroups(local), LocalLinkPriorities(config, local));
        return new NodeStack(local, totem, services);
    }

    /// <summary>The <c>knet_link_priority</c> of each link <paramref name="local"/> has an address on (what LINK_PRIORITIES announces).</summary>
    public static LinkPriorities LocalLinkPriorities(CorosyncConfig config, NodeId local) =>
        LinkPriorities.From((config.FindNode(local)?.RingAddresses ?? []).Where(r => r.Link is >= 0 and < Limits.LinksMax)
            .Select(r => (r.Link, (int)(config.Totem.Interface(new LinkId((byte)r.Link))?.EffectivePriority ?? Defaults.KnetLinkPriority))));
}
