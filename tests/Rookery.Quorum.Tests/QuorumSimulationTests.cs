using Rookery.Testing;

namespace Rookery.Quorum.Tests;

/// <summary>
/// Seeded simulation: several votequorum cores under partitions, merges, crashes, restarts and runtime
/// raises of expected votes, with messages delivered in agreed order per ring and every node at its own
/// pace. After every step: never two quorate nodes with disjoint memberships under the same expected votes.
/// After healing: every member agrees on the quorum values. Every failure message names the seed.
/// </summary>
public sealed class QuorumSimulationTests
{
    private const int SeedsPerConfiguration = 60;
    private const int ActionsPerSeed = 40;

    public static TheoryData<string> Configurations => new()
    {
        "plain", "weighted", "wait_for_all", "atb_lowest", "atb_highest", "atb_list", "raise_expected",
    };

    [Theory]
    [MemberData(nameof(Configurations))]
    public void NeverTwoQuoratePartitionsUnderTheSameExpectedVotes(string configuration)
    {
        var baseSeed = Environment.GetEnvironmentVariable("ROOKERY_QUORUM_SEED") is { } pinned
            ? ulong.Parse(pinned, System.Globalization.CultureInfo.InvariantCulture)
            : 0x5EED_0000UL;
        var seeds = Environment.GetEnvironmentVariable("ROOKERY_QUORUM_SEEDS") is { } count
            ? int.Parse(count, System.Globalization.CultureInfo.InvariantCulture)
            : SeedsPerConfiguration;
        var coverage = new Coverage();
        for (var i = 0; i < seeds; i++)
        {
            var seed = baseSeed + (ulong)i;
            Run(configuration, seed, coverage);
        }

        // The scenarios must reach the interesting states: a quorate side next to an inquorate one, and for the
        // tie-breaker configurations a side that is quorate with exactly half of the votes.
        if (seeds >= SeedsPerConfiguration)
        {
            Assert.True(coverage.Split > 0, $"{configuration}: no split with a quorate and an inquorate side");
            Assert.True(!configuration.StartsWith("atb", StringComparison.Ordinal) || coverage.TieBreaks > 0, $"{configuration}: no tie broken");
        }
    }

    private sealed class Coverage
    {
        public int Split { get; set; }

        public int TieBreaks { get; set; }
    }

    private static void Run(string configuration, ulong seed, Coverage coverage)
    {
        var prng = new Prng(seed);
        var size = configuration.StartsWith("atb", StringComparison.Ordinal) ? 2 * (int)prng.NextInRange(1, 3) : (int)prng.NextInRange(2, 7);
        uint[]? votes = configuration == "weighted" ? Enumerable.Range(0, size).Select(_ => (uint)prng.NextInRange(1, 3)).ToArray() : null;
        Func<QuorumSettings, QuorumSettings> tweak = configuration switch
        {
            "wait_for_all" => s => s with { WaitForAll = true },
            "atb_lowest" => s => s with { AutoTieBreaker = true },
            "atb_highest" => s => s with { AutoTieBreaker = true, AutoTieBreakerNode = "highest" },
            "atb_list" => s => s with { AutoTieBreaker = true, AutoTieBreakerNode = string.Join(' ', Enumerable.Range(1, size).Reverse()) },
            _ => s => s,
        };

        var test = new QuorumTestCluster(size, seed, tweak, votes);
        var cluster = test.Cluster;
        var context = $"seed {seed} ({configuration}, {size} nodes; replay with ROOKERY_QUORUM_SEED={seed} ROOKERY_QUORUM_SEEDS=1)";
        cluster.AfterStep = () => CheckSafety(test, context, coverage);
        test.Form();
        var all = Enumerable.Range(1, size).Select(i => new NodeId((uint)i)).ToArray();
        for (var action = 0; action < ActionsPerSeed; action++)
        {
            var alive = cluster.AliveNodes.ToArray();
            switch (prng.NextBelow(10))
            {
                case 0 or 1 or 2 or 3 or 4:
                    cluster.RandomMembershipChange(prng, all);
                    break;

                case 5 when configuration == "raise_expected":
                {
                    var node = alive[prng.NextBelow((ulong)alive.Length)];
                    var status = test.Status(node.Value);
                    var target = status.ExpectedVotes + (uint)prng.NextInRange(0, 2);
                    cluster.Command(node, (service, submit) =>
                        ((QuorumNode)service).Run(submit, outputs => ((QuorumNode)service).Core.SetExpectedVotes(target, outputs)));
                    break;
                }

                default:
                    cluster.Steps((int)prng.NextInRange(1, 40));
                    break;
            }

            CheckSafety(test, context, coverage);
        }

        cluster.Heal();
        cluster.RunUntilQuiet();
        CheckAgreement(test, context, historyDependent: configuration is not ("plain" or "weighted"));
    }

    private static void CheckSafety(QuorumTestCluster test, string context, Coverage coverage)
    {
        var settled = test.Cluster.AliveNodes.Select(n => test.Nodes[n.Value].Core).Where(c => !c.Syncing).ToArray();
        if (settled.Any(c => c.Quorate) && settled.Any(c => !c.Quorate))
        {
            coverage.Split++;
        }

        if (settled.Any(c => c.Quorate && c.Status.TotalVotes * 2 == c.ExpectedVotes))
        {
            coverage.TieBreaks++;
        }

        var active = test.Cluster.AliveNodes
            .Select(n => (Node: n, Status: test.Nodes[n.Value].Core))
            .Where(x => x.Status.Quorate && !x.Status.Syncing)
            .ToArray();
        for (var i = 0; i < active.Length; i++)
        {
            for (var j = i + 1; j < active.Length; j++)
            {
                var a = active[i];
                var b = active[j];
                if (a.Status.ExpectedVotes == b.Status.ExpectedVotes && !a.Status.Members.Intersect(b.Status.Members).Any())
                {
                    Assert.Fail(
                        $"{context}: nodes {a.Node} [{string.Join(' ', a.Status.Members)}] and {b.Node} [{string.Join(' ', b.Status.Members)}] " +
                        $"are both quorate with expected votes {a.Status.ExpectedVotes}");
                }
            }
        }
    }

    private static void CheckAgreement(QuorumTestCluster test, string context, bool historyDependent)
    {
        var statuses = test.Cluster.AliveNodes.Select(n => test.Status(n.Value)).ToArray();
        var first = statuses[0];
        var expectedMembers = string.Join(' ', test.Cluster.AliveNodes);
        foreach (var status in statuses)
        {
            Assert.False(status.Syncing, context);
            Assert.True(string.Join(' ', status.Members) == expectedMembers, $"{context}: node {status.NodeId} members [{string.Join(' ', status.Members)}]");
            Assert.True(status.TotalVotes == first.TotalVotes, $"{context}: node {status.NodeId} counts {status.TotalVotes} votes, node {first.NodeId} {first.TotalVotes}");

            // Without per-node history in the rules (wait_for_all status, tie-breaker memory, expected votes
            // learnt from quorate peers), every member reaches the same verdict from the same deliveries.
            if (!historyDependent)
            {
                Assert.True(
                    (status.Quorate, status.Quorum) == (first.Quorate, first.Quorum),
                    $"{context}: node {status.NodeId} (quorate {status.Quorate}, quorum {status.Quorum}) disagrees with node {first.NodeId} ({first.Quorate}, {first.Quorum})");
            }
        }

        if (!historyDependent)
        {
            var configured = test.Votes.Aggregate(0u, (sum, v) => sum + v);
            Assert.True(first.Quorate == (first.TotalVotes * 2 > configured), $"{context}: healed with {first.TotalVotes} of {configured} votes, quorate {first.Quorate}");
        }
    }
}

public sealed class QuorumDeterminismTests
{
    [Fact]
    public void SameSeedGivesByteIdenticalOutputs()
    {
        Assert.Equal(Transcript(42), Transcript(42));
        Assert.NotEqual(Transcript(42), Transcript(43));
    }

    private static string Transcript(ulong seed)
    {
        var prng = new Prng(seed);
        var test = new QuorumTestCluster(5, seed, s => s with { LastManStanding = true, WaitForAll = true });
        test.Form();
        for (var i = 0; i < 20; i++)
        {
            var alive = test.Cluster.AliveNodes.ToArray();
            var components = new[] { new List<NodeId>(), new List<NodeId>() };
            foreach (var node in alive)
            {
                components[prng.NextBelow(2)].Add(node);
            }

            test.Cluster.Reconfigure(components);
            test.Cluster.Steps((int)prng.NextInRange(1, 30));
            test.Cluster.AdvanceTime(Duration.FromSeconds(6));
        }

        test.Cluster.RunUntilQuiet();
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        foreach (var (id, node) in test.Nodes)
        {
            foreach (var output in node.Outputs)
            {
                var text = output switch
                {
                    QuorumSend send => $"{id} send {Convert.ToHexString(send.Message)}",
                    QuorumNotification n => $"{id} quorate {n.Quorate} {n.RingId} {string.Join(' ', n.Members)}",
                    _ => $"{id} {output}",
                };
                hash.AppendData(System.Text.Encoding.UTF8.GetBytes(text + "\n"));
            }
        }

        return Convert.ToHexString(hash.GetHashAndReset());
    }
}
