using System.Diagnostics;
using System.Globalization;

namespace Rookery.Cli.Demo;

/// <summary>
/// The demo's story: write the configuration, start three daemons, wait for quorum, stream messages; then a real
/// failure of one link (as root: tre's link 1 address silently dropped with nftables, detection time, delivery gap
/// and loss measured; otherwise an admin's <c>rookery link disable</c>, and why), then a crashed node (SIGKILL of
/// tre's daemon: the other two carry on quorate) and its restart and rejoin; stop everything. Exit 0 only when
/// everything it claims was observed.
/// </summary>
public sealed class DemoRunner(DemoScreen screen, TimeSpan hold)
{
    /// <summary>How long three fresh daemons may take to form a quorate ring (a loaded 2-core machine included).</summary>
    public static readonly TimeSpan FormationTimeout = TimeSpan.FromSeconds(60);

    /// <summary>How long the traffic may take to move to the other link after a cut, <c>link disable</c> or <c>enable</c>.</summary>
    public static readonly TimeSpan SwitchTimeout = TimeSpan.FromSeconds(20);

    /// <summary>How long the ring must stay the same after start-up before the demo takes it as the reference.</summary>
    public static readonly TimeSpan SettleTime = TimeSpan.FromSeconds(2);

    /// <summary>How long a rejoined node may take to deliver the stream again.</summary>
    public static readonly TimeSpan RedeliveryTimeout = TimeSpan.FromSeconds(10);

    /// <summary>The node whose link is cut and whose daemon is killed (tre, node 3).</summary>
    public const int Victim = 3;

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(100);
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly List<string> _failures = [];
    private DemoCluster? _cluster;
    private DemoStream? _stream;
    private string? _ring;
    private bool _membershipChanged;
    private string? _membershipChangedDuring;

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        try
        {
            await using var cluster = DemoCluster.Create();
            _cluster = cluster;
            cluster.Clock = () => _clock.Elapsed;
            Say($"configuration written with 'rookery create {DemoCluster.ClusterName} --link0 {cluster.Address(1, 0)},priority={DemoCluster.Priorities[0]} --link1 {cluster.Address(1, 1)},priority={DemoCluster.Priorities[1]}' and 'rookery addnode' for due and tre, under {cluster.Root}");
            try
            {
                await PlayAsync(cluster, cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                Say("interrupted: stopping the daemons");
            }
            catch (CliException exception)
            {
                Fail(exception.Message);
            }
            finally
            {
                if (_stream is not null)
                {
                    await _stream.DisposeAsync().ConfigureAwait(false);
                }

                Say("stopping the three daemons (SIGTERM) and removing the temporary directory");
            }

            var root = cluster.Root;
            await cluster.DisposeAsync().ConfigureAwait(false);
            var left = cluster.Nodes.Count(n => n.Daemon is { } d && !Exited(d));
            Say($"demo finished: {cluster.Nodes.Count - left} of {cluster.Nodes.Count} daemons stopped, {root} {(Directory.Exists(root) ? "NOT removed" : "removed")}");
        }
        catch (CliException exception)
        {
            _failures.Add(exception.Message);
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ExitCodes.Error;
        }

        foreach (var failure in _failures)
        {
            Say($"FAILED: {failure}");
        }

        return _failures.Count == 0 ? ExitCodes.Ok : ExitCodes.Error;
    }

    private async Task PlayAsync(DemoCluster cluster, CancellationToken cancellationToken)
    {
        cluster.Start();
        Say($"started 3 x 'rookery daemon' (pids {string.Join(", ", cluster.Nodes.Select(n => n.Daemon!.Id))}); logs in {cluster.Root}/node*/daemon.log");
        var formed = await WaitAsync(s => s.AllJoined, FormationTimeout, "forming the cluster", cancellationToken).ConfigureAwait(false);
        if (formed is null)
        {
            Fail($"the cluster did not become quorate with 3 members within {FormationTimeout.TotalSeconds:0} s");
            return;
        }

        Say($"quorate: 3 members, ring id {formed.RingId}, {Seconds(formed.At)} after start");
        var settled = await SettleAsync(cancellationToken).ConfigureAwait(false);
        if (settled is null)
        {
            return;
        }

        _ring = settled.RingId;
        if (_ring != formed.RingId)
        {
            Say($"the ring changed once more after start-up (now {_ring}); the demo starts from this one");
        }

        await StartStreamAsync(cluster, cancellationToken).ConfigureAwait(false);
        if (_stream is null)
        {
            return;
        }

        var steady = await HoldAsync(hold, "all links up", cancellationToken).ConfigureAwait(false);
        var active = steady.ActiveLinks(1, 2);
        if (active.Count != 1)
        {
            Fail($"node 1 sends to node 2 on {active.Count} links ({string.Join(",", active)}); passive mode should use exactly one");
            return;
        }

        var link = active[0];
        var other = 1 - link;
        Say($"data goes over link {link} (priority {DemoCluster.Priorities[link]}); link {other} (priority {DemoCluster.Priorities[other]}) only carries heartbeats");
        var linkShown = LinkCut.UnavailableReason() is { } reason
            ? await AdminSwitchAsync(cluster, link, other, reason, cancellationToken).ConfigureAwait(false)
            : await CutLinkAsync(cluster, link, other, cancellationToken).ConfigureAwait(false);
        if (!linkShown)
        {
            return;
        }

        Say(_membershipChanged
            ? $"membership CHANGED while a link was down (ring id {_ring} was not kept)"
            : $"membership unchanged while a link was down and back: 3 members, ring id {_ring}");
        if (_membershipChanged)
        {
            Fail($"the membership changed ({_membershipChangedDuring}); with every node connected on at least one link it must not");
            return;
        }

        if (!await KillAndRejoinAsync(cluster, cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        await _stream.DrainAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
        Say($"sender stopped, every message delivered that could be: {_stream.Summary(cluster)}");
        if (!_stream.Clean)
        {
            Fail("the message stream lost, duplicated or reordered messages");
        }
    }

    /// <summary>Waits until the ring has stayed the same for <see cref="SettleTime"/>; null (and a failure) if it does not.</summary>
    private async Task<DemoSnapshot?> SettleAsync(CancellationToken cancellationToken)
    {
        string? ring = null;
        var since = TimeSpan.Zero;
        var settled = await WaitAsync(
            s =>
            {
                if (s.RingId != ring)
                {
                    (ring, since) = (s.RingId, s.At);
                }

                return ring is not null && s.At - since >= SettleTime;
            },
            FormationTimeout, "waiting for the ring to settle", cancellationToken).ConfigureAwait(false);
        if (settled is null)
        {
            Fail($"the ring did not stay the same for {SettleTime.TotalSeconds:0} s within {FormationTimeout.TotalSeconds:0} s");
        }

        return settled;
    }

    /// <summary>
    /// As root: drops every packet of tre's address on <paramref name="link"/> (nobody tells the daemons), shows when each
    /// node logs the link down, the traffic on <paramref name="other"/>, the longest pause in delivery and the loss;
    /// then lets packets through again and shows the link come back.
    /// </summary>
    private async Task<bool> CutLinkAsync(DemoCluster cluster, int link, int other, CancellationToken cancellationToken)
    {
        var victim = cluster.Nodes[Victim - 1];
        var address = cluster.Address(Victim, link);
        var peers = cluster.Nodes.Where(n => n.Id != Victim).ToList();
        Say($"cutting link {link} of {victim.Name} for real: every packet from or to {address} is dropped silently, as by a dead switch port (nftables); the daemons are not told");
        _stream!.ResetGaps();
        var cutAt = _clock.Elapsed;
        LinkCut applied;
        TimeSpan restoredAt;
        try
        {
            applied = LinkCut.Apply(address);
        }
        catch (CliException exception)
        {
            // Root without CAP_NET_ADMIN (a container) or nftables not usable: show what still can be shown.
            return await AdminSwitchAsync(cluster, link, other, exception.Message, cancellationToken).ConfigureAwait(false);
        }

        using (var cut = applied)
        {
            Say($"$ {cut.Command}");
            string DownLine(int peer) => $"host: {peer.ToString(CultureInfo.InvariantCulture)} link: {link.ToString(CultureInfo.InvariantCulture)} is down";
            var switched = await WaitAsync(
                s => OnlyVictimMoved(s, link, other)
                    && peers.All(p => cluster.FirstLine(p.Id, DownLine(Victim), cutAt) is not null)
                    && peers.All(p => cluster.FirstLine(Victim, DownLine(p.Id), cutAt) is not null),
                SwitchTimeout, $"link {link} of {victim.Name} cut", cancellationToken).ConfigureAwait(false);
            if (switched is null)
            {
                Fail($"link {link} of {victim.Name} cut: not every node logged the link down and moved its traffic to {victim.Name} onto link {other} within {SwitchTimeout.TotalSeconds:0} s");
                return false;
            }

            var seenByPeers = string.Join(", ", peers.Select(p => $"by {p.Name} {Seconds(cluster.FirstLine(p.Id, DownLine(Victim), cutAt)!.Value - cutAt)}"));
            var seenByVictim = string.Join(", ", peers.Select(p => $"'{DownLine(p.Id)}' {Seconds(cluster.FirstLine(Victim, DownLine(p.Id), cutAt)!.Value - cutAt)}"));
            Say($"detected (no pong within the link's down timeout, docs/links.md): '[KNET  ] link: {DownLine(Victim)}' logged {seenByPeers} after the cut; {victim.Name} logged {seenByVictim} after the cut");
            Say($"failover: traffic to and from {victim.Name} goes over link {other}, uno <-> due stays on link {link}; {RingText(switched)}; seen {Seconds(switched.At - cutAt)} after the cut");
            await HoldAsync(hold, $"link {link} of {victim.Name} cut", cancellationToken).ConfigureAwait(false);
            var gaps = string.Join(", ", cluster.Nodes.Select((n, i) => $"{n.Name} {_stream.LongestGap(i).TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)} ms"));
            Say($"delivery gap: longest pause between two deliveries since the cut: {gaps} (uno sends every {DemoStream.Interval.TotalMilliseconds:0} ms)");
            Say($"loss: {_stream.Summary(cluster)}");
            if (_stream.Lost != 0)
            {
                Fail($"{_stream.Lost} messages lost while link {link} of {victim.Name} was cut");
            }

            Say($"restoring link {link} of {victim.Name}: $ {cut.RestoreCommand}");

            // Taken before the table goes: packets may flow (and a link come up) before nft returns.
            restoredAt = _clock.Elapsed;
        }

        string UpLine(int peer) => $"host: {peer.ToString(CultureInfo.InvariantCulture)} link: {link.ToString(CultureInfo.InvariantCulture)} is up";
        var back = await WaitAsync(
            s => s.AllActiveOn(link) && peers.All(p => cluster.FirstLine(p.Id, UpLine(Victim), restoredAt) is not null),
            SwitchTimeout, $"link {link} of {victim.Name} restored", cancellationToken).ConfigureAwait(false);
        if (back is null)
        {
            Fail($"link {link} of {victim.Name} restored: traffic did not return to link {link} on every node within {SwitchTimeout.TotalSeconds:0} s");
            return false;
        }

        var ups = string.Join(", ", peers.Select(p => $"{p.Name} after {Seconds(cluster.FirstLine(p.Id, UpLine(Victim), restoredAt)!.Value - restoredAt)}"));
        Say($"failback: '[KNET  ] rx: {UpLine(Victim)}' logged by {ups}; every node sends on link {link} again; {RingText(back)}");
        await HoldAsync(hold, $"link {link} of {victim.Name} back", cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Without root: says why there is no real cut and shows the admin's way instead (<c>link disable</c>/<c>enable</c>).</summary>
    private async Task<bool> AdminSwitchAsync(DemoCluster cluster, int link, int other, string reason, CancellationToken cancellationToken)
    {
        Say($"cannot cut link {link} for real: {reason}; so no detection time, delivery gap or loss under a real failure is measured (run the demo as root for that)");
        Say($"instead, an admin action: 'rookery link disable {link}' (the daemons are told, so there is nothing to detect)");
        if (!await SwitchAsync(cluster, "disable", link, other, "failover", cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        await HoldAsync(hold, $"link {link} disabled", cancellationToken).ConfigureAwait(false);
        Say($"loss: {_stream!.Summary(cluster)}");
        if (!await SwitchAsync(cluster, "enable", link, link, "failback", cancellationToken).ConfigureAwait(false))
        {
            return false;
        }

        await HoldAsync(hold, $"link {link} enabled again", cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>
    /// Kills tre's daemon with SIGKILL, shows uno and due carry on (new ring, still quorate, the stream still flowing),
    /// restarts it and shows it rejoin and deliver again.
    /// </summary>
    private async Task<bool> KillAndRejoinAsync(DemoCluster cluster, CancellationToken cancellationToken)
    {
        var victim = cluster.Nodes[Victim - 1];
        var survivors = cluster.Nodes.Where(n => n.Id != Victim).Select(n => n.Id).ToArray();
        var names = string.Join(" and ", cluster.Nodes.Where(n => n.Id != Victim).Select(n => n.Name));
        _ring = null;
        Say($"$ kill -KILL {victim.Daemon!.Id}    ({victim.Name}'s daemon: no goodbye, as a crash or a power cut)");
        _stream!.MarkDown(Victim - 1);
        _stream.ResetGaps();
        var killedAt = _clock.Elapsed;
        var sentAtKill = _stream.Sent;
        await cluster.KillAsync(victim).ConfigureAwait(false);
        var carried = await WaitAsync(s => s.JoinedAs(survivors), FormationTimeout, $"{victim.Name} killed", cancellationToken).ConfigureAwait(false);
        if (carried is null)
        {
            Fail($"{names} did not form a quorate ring of their own within {FormationTimeout.TotalSeconds:0} s of the kill");
            return false;
        }

        var quorum = carried.Views[0].Status!.Quorum;
        Say($"{names} carry on: ring id {carried.RingOf(survivors[0])}, members {string.Join(' ', survivors)}, quorate ({quorum.TotalVotes} of {quorum.ExpectedVotes} votes, need {quorum.Quorum}); seen {Seconds(carried.At - killedAt)} after the kill");
        var first = cluster.Nodes[survivors[0] - 1];
        var steps = new[] { $"host: host: {Victim} has no active links", "A new membership (" }
            .Select(text => (Text: text, At: cluster.FirstLine(first.Id, text, killedAt)))
            .Where(step => step.At is not null)
            .Select(step => $"'{step.Text}{(step.Text.EndsWith('(') ? "...) was formed" : "")}' after {Seconds(step.At!.Value - killedAt)}");
        Say($"{first.Name}'s log since the kill: {string.Join(", ", steps.DefaultIfEmpty("(no knet or Totem line yet)"))}");
        await HoldAsync(hold, $"{victim.Name} down", cancellationToken).ConfigureAwait(false);
        var gaps = string.Join(", ", survivors.Select(id => $"{cluster.Nodes[id - 1].Name} {_stream.LongestGap(id - 1).TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)} ms"));
        Say($"while {victim.Name} is down the stream goes on: {_stream.Sent - sentAtKill} sent since the kill; longest pause between two deliveries since the kill: {gaps} (the new membership forming)");
        Say($"loss: {_stream.Summary(cluster)}");
        if (_stream.Lost != 0)
        {
            Fail($"{_stream.Lost} messages lost while {victim.Name} was down");
        }

        Say($"$ rookery daemon --node {victim.Name} ...    (restarting {victim.Name}'s daemon with its files)");
        var restartedAt = _clock.Elapsed;
        cluster.StartNode(victim);
        var rejoined = await WaitAsync(s => s.AllJoined, FormationTimeout, $"{victim.Name} restarted", cancellationToken).ConfigureAwait(false);
        if (rejoined is null)
        {
            Fail($"{victim.Name} did not rejoin (3 quorate members in one ring) within {FormationTimeout.TotalSeconds:0} s of its restart");
            return false;
        }

        Say($"{victim.Name} rejoined: ring id {rejoined.RingId}, members 1 2 3, quorate; {Seconds(rejoined.At - restartedAt)} after its restart");
        await _stream.RejoinAsync(victim, Victim - 1, cancellationToken).ConfigureAwait(false);
        var delivering = await WaitAsync(_ => _stream.Delivered(Victim - 1) >= 10, RedeliveryTimeout, $"{victim.Name} back", cancellationToken).ConfigureAwait(false);
        if (delivering is null)
        {
            Fail($"{victim.Name} did not deliver the stream again within {RedeliveryTimeout.TotalSeconds:0} s of rejoining the group");
            return false;
        }

        Say($"{victim.Name} joined '{DemoStream.GroupName}' again and delivers from message #{_stream.FirstDelivered(Victim - 1)} on, in order");
        _ring = rejoined.RingId;
        await HoldAsync(hold, $"{victim.Name} back", cancellationToken).ConfigureAwait(false);
        return true;
    }

    /// <summary>Traffic between the victim and every other node is on <paramref name="other"/>; between the others still on <paramref name="link"/>.</summary>
    private static bool OnlyVictimMoved(DemoSnapshot snapshot, int link, int other)
    {
        var ids = Enumerable.Range(1, snapshot.Views.Count).ToArray();
        return snapshot.Views.All(v => v.Status is not null)
            && ids.All(from => ids.Where(to => to != from).All(to =>
                snapshot.ActiveLinks(from, to).SequenceEqual([from == Victim || to == Victim ? other : link])));
    }

    private string RingText(DemoSnapshot snapshot) =>
        snapshot.RingId is { } now && now == _ring ? $"members 1 2 3, ring id {_ring} unchanged" : $"ring id CHANGED ({_ring} -> {snapshot.RingId ?? "none"})";

    /// <summary>Runs <c>rookery link disable|enable LINK</c> on node 1 and waits until every node sends on <paramref name="expected"/>.</summary>
    private async Task<bool> SwitchAsync(DemoCluster cluster, string verb, int link, int expected, string what, CancellationToken cancellationToken)
    {
        var node = cluster.Nodes[0];
        var command = $"rookery link {verb} {link.ToString(CultureInfo.InvariantCulture)}";
        Say($"$ {command}    (on {node.Name}, cluster-wide)");
        var started = _clock.Elapsed;
        var (exit, output, error) = await RookeryProcess.RunAsync(
            ["link", verb, link.ToString(CultureInfo.InvariantCulture)], node.Environment, TimeSpan.FromSeconds(30), cancellationToken).ConfigureAwait(false);
        var returned = _clock.Elapsed;
        if (exit != ExitCodes.Ok)
        {
            Fail($"'{command}' exited with {exit}: {error.Trim()} {output.Trim()}");
            return false;
        }

        var done = await WaitAsync(s => s.AllActiveOn(expected), SwitchTimeout, $"{command}: waiting for the {what}", cancellationToken).ConfigureAwait(false);
        if (done is null)
        {
            Fail($"{what}: traffic did not move to link {expected} on every node within {SwitchTimeout.TotalSeconds:0} s of '{command}'");
            return false;
        }

        var ring = done.RingId is { } now && now == _ring ? $"ring id {_ring} unchanged" : $"ring id CHANGED ({_ring} -> {done.RingId ?? "none"})";
        Say($"{what}: every node sends on link {expected.ToString(CultureInfo.InvariantCulture)} (seen {Seconds(done.At - started)} after starting '{command}', which took {Seconds(returned - started)} to run); members 1 2 3, {ring}");
        return true;
    }

    private async Task StartStreamAsync(DemoCluster cluster, CancellationToken cancellationToken)
    {
        try
        {
            _stream = await DemoStream.StartAsync(cluster, cancellationToken).ConfigureAwait(false);
            Say($"process group '{DemoStream.GroupName}' joined on every node; uno sends a numbered message every {DemoStream.Interval.TotalMilliseconds:0} ms");
        }
        catch (Exception exception) when (exception is Rookery.Control.NodeControlException or IOException)
        {
            Fail($"could not start the message stream: {exception.Message}");
        }
    }

    /// <summary>Shows the live view for <paramref name="duration"/>; returns the last snapshot.</summary>
    private async Task<DemoSnapshot> HoldAsync(TimeSpan duration, string phase, CancellationToken cancellationToken) =>
        (await WaitAsync(_ => false, duration, phase, cancellationToken, quietTimeout: true).ConfigureAwait(false))!;

    /// <summary>Polls every node until <paramref name="condition"/> holds (returns that snapshot) or <paramref name="timeout"/> passes (null).</summary>
    private async Task<DemoSnapshot?> WaitAsync(
        Func<DemoSnapshot, bool> condition, TimeSpan timeout, string phase, CancellationToken cancellationToken, bool quietTimeout = false)
    {
        var cluster = _cluster!;
        var until = _clock.Elapsed + timeout;
        var first = true;
        while (true)
        {
            var snapshot = await DemoSnapshot.TakeAsync(cluster, _clock.Elapsed, cancellationToken).ConfigureAwait(false);
            Watch(snapshot, phase);
            if (_stream is not null)
            {
                screen.Footer(_stream.Summary(cluster));
            }

            screen.Show(cluster, snapshot, phase, force: first);
            first = false;
            if (condition(snapshot))
            {
                return snapshot;
            }

            if (cluster.ExitedDaemons() is { Count: > 0 } exited)
            {
                throw new CliException(string.Join('\n', exited));
            }

            if (_clock.Elapsed >= until)
            {
                return quietTimeout ? snapshot : null;
            }

            await Task.Delay(PollInterval, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>After formation, any snapshot that is not the same 3-member ring counts as a membership change.</summary>
    private void Watch(DemoSnapshot snapshot, string phase)
    {
        if (_ring is null || _membershipChanged)
        {
            return;
        }

        if (snapshot.RingId != _ring)
        {
            _membershipChanged = true;
            _membershipChangedDuring = phase;
            Say($"membership changed ({phase}): ring id {snapshot.RingId ?? "(nodes disagree or are not all members)"} instead of {_ring}");
        }
    }

    private void Fail(string reason)
    {
        _failures.Add(reason);
    }

    private void Say(string text) => screen.Event(_clock.Elapsed, text);

    private static string Seconds(TimeSpan span) => span.TotalSeconds.ToString("0.000 s", CultureInfo.InvariantCulture);

    private static bool Exited(Process process)
    {
        try
        {
            return process.HasExited;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }
}
