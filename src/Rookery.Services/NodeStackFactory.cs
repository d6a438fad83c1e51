using Rookery.Config;
using Rookery.Groups;
using Rookery.Links;
using Rookery.Quorum;
using Rookery.Totem;

namespace Rookery.Services;

/// <summary>Builds a node's Totem and services from its parsed configuration (the node shell and tests share it).</summary>
public static class NodeStackFactory
{
    /// <summary>Totem's options from the derived timers of the configuration (corosync's formulas are in Config's <see cref="TotemTimers"/>).</summary>
    public static TotemOptions TotemOptionsFor(CorosyncConfig config) =>
        TotemOptions.From(config.Timers, config.Totem.CancelTokenHoldOnRetransmit) with { NetMtu = (int)config.Totem.NetMtu };

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
            QuorumDeviceTimeout = Duration.FromMilliseconds(quorum.DeviceTimeout),
            QuorumDeviceSyncTimeout = Duration.FromMilliseconds(quorum.DeviceSyncTimeout),
        };
    }

    /// <summary>
    /// The whole composition for <paramref name="local"/>: link layer, Totem, services. The link layer starts without
    /// peers (the driver adds them with its addresses). Returns null with corosync's startup error (e.g. a votequorum
    /// configuration conflict) in <paramref name="error"/>; <paramref name="log"/> gets the lines corosync logs
    /// when it disables a feature instead.
    /// </summary>
    /// <remarks>
    /// <c>linkOptions</c> are the link layer's options (policy, crypto: the shell reads the key file); <c>saltSource</c>
    /// is where knet's per-packet salt comes from (the shell's buffered OS randomness; null = the prng);
    /// <c>observeTotemEvents</c> sets <see cref="NodeStack.ObserveTotemEvents"/> (the simulator's checkers).
    /// </remarks>
    public static NodeStack? Create(
        CorosyncConfig config,
        NodeId local,
        ulong persistedRingSequence,
        uint trackingBarrier,
        Prng prng,
        List<LogEntry> log,
        out string? error,
        LinkLayerOptions? linkOptions = null,
        SaltSource? saltSource = null,
        bool observeTotemEvents = false)
    {
        var options = TotemOptionsFor(config);
        var problems = options.Validate();
        if (problems.Count > 0)
        {
            error = string.Join("; ", problems);
            return null;
        }

        var quorumConfiguration = QuorumConfiguration.Resolve(QuorumSettingsFor(config, local, trackingBarrier), log, out error);

        if (quorumConfiguration is null)
        {
            return null;
        }

        var links = new LinkLayer(local, linkOptions ?? new LinkLayerOptions { DeliverToSelf = false }, prng.Fork(), saltSource);
        var totem = new TotemSrp(local, options, prng, persistedRingSequence);
        var services = new ServiceLayer(local, config.Totem.ConfigVersion, new Votequorum(quorumConfiguration), new ProcessGroups(local), LocalLinkPriorities(config, local));
        return new NodeStack(local, links, totem, services) { ObserveTotemEvents = observeTotemEvents };
    }

    /// <summary>The <c>knet_link_priority</c> of each link <paramref name="local"/> has an address on (what LINK_PRIORITIES announces).</summary>
    public static LinkPriorities LocalLinkPriorities(CorosyncConfig config, NodeId local) =>
        LinkPriorities.From((config.FindNode(local)?.RingAddresses ?? []).Where(r => r.Link is >= 0 and < Limits.LinksMax)
            .Select(r => (r.Link, (int)(config.Totem.Interface(new LinkId((byte)r.Link))?.EffectivePriority ?? Defaults.KnetLinkPriority))));

    /// <summary>
    /// The link layer's options for a peer on <paramref name="link"/>: the interface's <c>knet_link_priority</c> and its
    /// link timing keys (derived from the runtime token when not set). Problems are added to <paramref name="errors"/>.
    /// </summary>
    public static LinkOptions LinkOptionsFor(CorosyncConfig config, LinkId link, Duration runtimeToken, bool enabled, List<string> errors)
    {
        var face = config.Totem.Interface(link);
        var keys = (face?.Keys ?? KeyValues.Empty).ToDictionary(k => k.Key, k => k.Value, StringComparer.Ordinal);
        var timingErrors = new List<string>();
        var timing = LinkTimingOptions.FromInterfaceKeys(keys, runtimeToken, timingErrors);
        errors.AddRange(timingErrors.Select(e => $"totem.interface.{link}: {e}"));
        return new LinkOptions
        {
            Priority = face?.EffectivePriority ?? Defaults.KnetLinkPriority,
            Timing = timing,
            Enabled = enabled,
        };
    }

    /// <summary>
    /// Adds every other node of the nodelist to the link layer with each link it has an address on, with
    /// <see cref="LinkOptionsFor"/> (the peers the daemon's link shell configures at start, without the addresses:
    /// for drivers whose network needs none, such as the simulator).
    /// </summary>
    public static void AddPeers(NodeStack stack, CorosyncConfig config, Instant now, List<string> errors)
    {
        foreach (var node in config.Nodes)
        {
            if (node.NodeId is not { } id || id == stack.Local.Value)
            {
                continue;
            }

            var peer = new NodeId(id);
            stack.Links.AddPeer(peer);
            foreach (var (link, _) in node.RingAddresses)
            {
                var linkId = new LinkId((byte)link);
                stack.Links.AddLink(now, peer, linkId, LinkOptionsFor(config, linkId, config.Timers.Token, enabled: true, errors));
            }
        }
    }
}
