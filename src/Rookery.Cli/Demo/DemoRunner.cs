using System.Diagnostics;
using System.Globalization;

namespace Rookery.Cli.Demo;

/// <summary>
/// The demo's story: write the configuration, start three daemons, wait for quorum, stream messages, disable the
/// active link with <c>rookery link disable</c>, show the failover with the membership unchanged, enable it again,
/// show the failback, stop everything. Exit 0 only when everything it claims was observed.
/// </summary>
public sealed class DemoRunner(DemoScreen screen, TimeSpan hold)
{
    /// <summary>How long three fresh daemons may take to form a quorate ring (a loaded 2-core machine included).</summary>
    public static readonly TimeSpan FormationTimeout = TimeSpan.FromSeconds(60);

    /// <summary>How long the traffic may take to move to the other link after <c>link disable</c> / <c>enable</c>.</summary>
    public static readonly TimeSpan SwitchTimeout = TimeSpan.FromSeconds(20);

    /// <summary>How long the ring must stay the same after start-up before the demo takes it as the reference.</summary>
    public static readonly TimeSpan SettleTime = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(250);
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
            return;
        }

        _ring = settled.RingId;
        if (_ring != formed.RingId)
        {
            Say($"the ring changed once more after start-up (now {_ring}); the demo starts from this one");
        }
        await StartStreamAsync(cluster, cancellationToken).ConfigureAwait(false);
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

        if (!await SwitchAsync(cluster, "disable", link, other, "failover", cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        await HoldAsync(hold, $"link {link} disabled", cancellationToken).ConfigureAwait(false);
        if (!await SwitchAsync(cluster, "enable", link, link, "failback", cancellationToken).ConfigureAwait(false))
        {
            return;
        }

        await HoldAsync(hold, $"link {link} enabled again", cancellationToken).ConfigureAwait(false);
        if (_stream is not null)
        {
            await _stream.DrainAsync(TimeSpan.FromSeconds(5), cancellationToken).ConfigureAwait(false);
            Say(_stream.Summary(cluster));
            if (!_stream.Clean(inFlight: 0))
            {
                Fail("the message stream lost, duplicated or reordered messages");
            }
        }

        Say(_membershipChanged
            ? $"membership CHANGED during the demo (ring id {_ring} was not kept)"
            : $"membership unchanged through failover and failback: 3 members, ring id {_ring}");
        if (_membershipChanged)
        {
            Fail($"the membership changed ({_membershipChangedDuring}); with every node connected on at least one link it must not");
        }
    }

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
