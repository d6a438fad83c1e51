using Rookery.Links;

namespace Rookery.Simulation.Network;

/// <summary>Result of <see cref="LinkDetectionExperiment.MeasureDetection"/>: one sample per (trial, side).</summary>
/// <param name="Samples">Time from the silent cut to the moment the node stopped using the dead link, sorted.</param>
/// <param name="Missed">Sides that had not switched within the trial's limit.</param>
public sealed record DetectionResult(IReadOnlyList<Duration> Samples, int Missed)
{
    /// <summary>The median sample.</summary>
    public Duration Median => Samples.Count == 0 ? Duration.Infinite : Samples[Samples.Count / 2];

    /// <summary>The given percentile (0..100) by nearest rank.</summary>
    public Duration Percentile(int percent) =>
        Samples.Count == 0 ? Duration.Infinite : Samples[Math.Clamp((Samples.Count * percent + 99) / 100 - 1, 0, Samples.Count - 1)];

    /// <summary>The worst sample.</summary>
    public Duration Worst => Samples.Count == 0 ? Duration.Infinite : Samples[^1];

    /// <summary>The best sample.</summary>
    public Duration Best => Samples.Count == 0 ? Duration.Infinite : Samples[0];
}

/// <summary>Result of <see cref="LinkDetectionExperiment.CountFalseDowns"/>.</summary>
/// <param name="LinkDowns">Link-down events on links that were never cut (false alarms).</param>
/// <param name="PeerUnreachable">Times a node lost its peer entirely.</param>
/// <param name="Datagrams">Datagrams the network carried.</param>
/// <param name="Bursts">Delay bursts applied.</param>
/// <param name="Lost">Datagrams lost by random loss.</param>
public sealed record FalseAlarmResult(int LinkDowns, int PeerUnreachable, long Datagrams, int Bursts, long Lost);

/// <summary>
/// The two measurements behind Rookery's detection claim (docs/links.md): how long a silently dead active
/// link takes to be detected and replaced, and how many healthy links are declared down under random loss
/// or delay bursts. Two nodes, two links (link 1 preferred), seeded; tests run short versions, the
/// benchmark the long ones.
/// </summary>
public static class LinkDetectionExperiment
{
    private static readonly NodeId s_node1 = new(1);
    private static readonly NodeId s_node2 = new(2);
    private static readonly LinkId s_link0 = new(0);
    private static readonly LinkId s_link1 = new(1);

    /// <summary>
    /// Runs <paramref name="trials"/> independent trials: bring both links up, run for a random 1–3 s, cut
    /// link 1 in both directions without any error signal, and time until each node's traffic to the other
    /// has left link 1 (the link-down and the new best link happen in the same step).
    /// </summary>
    public static DetectionResult MeasureDetection(ulong seed, int trials, LinkTimingOptions timing, PathFaults? faults = null)
    {
        var prng = new Prng(seed);
        var samples = new List<Duration>();
        var missed = 0;
        for (var trial = 0; trial < trials; trial++)
        {
            var mesh = NewMesh(prng.NextUInt64(), timing, faults);
            mesh.RecordEvents = false;
            var switchedAt = new Dictionary<NodeId, Instant>();
            var cutAt = Instant.Never;
            mesh.OnEvent = e =>
            {
                if (mesh.Clock.Now >= cutAt && e.Event is ActiveLinksChanged changed && !changed.Links.Contains(s_link1))
                {
                    switchedAt.TryAdd(e.Node, e.At);
                }
            };
            var bothOnLink1 = () =>
                mesh.Node(s_node1).ActiveLinks(s_node2).Contains(s_link1) && mesh.Node(s_node2).ActiveLinks(s_node1).Contains(s_link1);
            var up = mesh.RunUntil(bothOnLink1, Instant.FromMilliseconds(30_000));
            mesh.RunFor(Duration.FromMilliseconds(1000 + (long)prng.NextBelow(2000)));
            if (!up || !bothOnLink1())
            {
                missed += 2;
                continue;
            }

            cutAt = mesh.Clock.Now;
            mesh.Network.CutBoth(s_node1, s_node2, s_link1);
            mesh.RunUntil(() => switchedAt.Count == 2, cutAt + Duration.FromSeconds(5));
            foreach (var node in new[] { s_node1, s_node2 })
            {
                if (switchedAt.TryGetValue(node, out var at))
                {
                    samples.Add(at - cutAt);
                }
                else
                {
                    missed++;
                }
            }
        }

        samples.Sort();
        return new DetectionResult(samples, missed);
    }

    /// <summary>
    /// Runs two healthy nodes for <paramref name="duration"/> of virtual time with a steady message stream and
    /// counts link downs. <paramref name="faults"/> applies to every path; with <paramref name="burstDelay"/> &gt; 0,
    /// both directions of each link also get delay bursts of that extra delay, lasting 0.1–2 s, starting on
    /// average every 5 s.
    /// </summary>
    public static FalseAlarmResult CountFalseDowns(ulong seed, Duration duration, LinkTimingOptions timing, PathFaults faults, Duration burstDelay)
    {
        var prng = new Prng(seed);
        var mesh = NewMesh(prng.NextUInt64(), timing, faults);
        mesh.RecordEvents = false;
        var downs = 0;
        var unreachable = 0;
        var bursts = 0;
        mesh.RunUntil(Instant.FromMilliseconds(500));
        var start = mesh.Clock.Now;
        mesh.OnEvent = e =>
        {
            downs += e.Event is LinkDown ? 1 : 0;
            unreachable += e.Event is PeerUnreachable ? 1 : 0;
        };
        if (burstDelay > Duration.Zero)
        {
            foreach (var link in new[] { s_link0, s_link1 })
            {
                var burstAt = start;
                while (true)
                {
                    burstAt += Duration.FromMilliseconds(1 + (long)prng.NextBelow(10_000));
                    if (burstAt >= start + duration)
                    {
                        break;
                    }

                    var length = Duration.FromMilliseconds(100 + (long)prng.NextBelow(1900));
                    var slow = faults with { Delay = faults.Delay + burstDelay };
                    var capturedLink = link;
                    mesh.At(burstAt, () => mesh.Network.SetFaults(s_node1, s_node2, capturedLink, slow));
                    mesh.At(burstAt + length, () => mesh.Network.SetFaults(s_node1, s_node2, capturedLink, faults));
                    burstAt += length;
                    bursts++;
                }
            }
        }

        var payload = new byte[200];
        var end = start + duration;
        for (var at = start; at < end; at += Duration.FromSeconds(1))
        {
            for (var message = 0; message < 20; message++)
            {
                var sendAt = at + Duration.FromMilliseconds(message * 50);
                mesh.At(sendAt, () => mesh.Broadcast(s_node1, 0, payload));
            }

            mesh.RunUntil(at + Duration.FromSeconds(1));
        }

        return new FalseAlarmResult(downs, unreachable, mesh.Network.Counters.Sent, bursts, mesh.Network.Counters.Lost);
    }

    private static LinkMesh NewMesh(ulong seed, LinkTimingOptions timing, PathFaults? faults) =>
        new(seed, [s_node1, s_node2],
            [
                (s_link0, new LinkOptions { Priority = 15, Timing = timing }),
                (s_link1, new LinkOptions { Priority = 20, Timing = timing }),
            ],
            _ => new LinkLayerOptions { DeliverToSelf = false },
            faults);
}
