using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Rookery.Services;

namespace Rookery.Quorum.Tests;

/// <summary>
/// Goal: votequorum never lets two partitions be quorate at once, on the shipped composition.
/// Method: seeded runs of the node stack (<see cref="QuorumTestCluster"/> on a <see cref="Simulation.Harness.ComposedCluster"/>)
/// under partitions, merges, crashes, restarts and runtime raises of expected votes, one votequorum option set per
/// theory case. After every step of the network and the timers: never two settled quorate nodes with disjoint
/// memberships under the same expected votes. After healing: every member counts the same votes, and where the
/// rules keep no per-node history, reaches the same verdict. Every failure names its seed and the replay variables
/// (ROOKERY_QUORUM_SEED, ROOKERY_QUORUM_SEEDS).
/// </summary>
public sealed class QuorumSimulationTests
{
    private const int SeedsPerConfiguration = 6;
    private const int ActionsPerSeed = 30;

    public static TheoryData<string> Configurations => new()
    {
        "plain", "weighted", "wait_for_all", "atb_lowest", "atb_highest", "atb_list", "raise_expected", "lms_wait_for_all",
    };

    [Theory]
    [MemberData(nameof(Configurations))]
    public void NeverTwoQuoratePartitionsUnderTheSameExpectedVotes(string configuration)
    {
        var baseSeed = Environment.GetEnvironmentVariable("ROOKERY_QUORUM_SEED") is { } pinned
            ? ulong.Parse(pinned, CultureInfo.InvariantCulture)
            : 0x5EED_0000UL;
        var seeds = Environment.GetEnvironmentVariable("ROOKERY_QUORUM_SEEDS") is { } count
            ? int.Parse(count, CultureInfo.InvariantCulture)
            : SeedsPerConfiguration;
        var coverage = new Coverage();
        for (var i = 0; i < seeds; i++)
        {
            TestContext.Current.CancellationToken.ThrowIfCancellationRequested();
            Run(configuration, baseSeed + (ulong)i, coverage);
        }

        // The runs must reach the interesting states: a quorate side next to an inquorate one, and for the
        // tie-breaker configurations a side that is quorate with exactly half of the votes.
        if (seeds >= SeedsPerConfiguration)
        {
            Assert.True(coverage.Split > 0, $"{configuration}: no split with a quorate and an inquorate side");
            Assert.True(!configuration.StartsWith("atb", StringComparison.Ordinal) || coverage.TieBreaks > 0, $"{configuration}: no tie broken");
        }
    }

    /// <summary>Seeds of wider sweeps that found a violation (fixed since), replayed every run.</summary>
    [Theory]
    [InlineData("lms_wait_for_all", 9000029UL)]
    [InlineData("atb_highest", 9100031UL)]
    [InlineData("atb_list", 9100031UL)]
    public void RegressionSeedKeepsQuorumSafe(string configuration, ulong seed) => Run(configuration, seed, new Coverage());

    private sealed class Coverage
    {
        public int Split { get; set; }

        public int TieBreaks { get; set; }
    }

    private static void Run(string configuration, ulong seed, Coverage coverage)
    {
        var prng = new Prng(seed);
        var size = configuration.StartsWith("atb", StringComparison.Ordinal) ? 2 * (int)prng.NextInRange(1, 3) : (int)prng.NextInRange(2, 6);
        uint[]? votes = configuration == "weighted" ? Enumerable.Range(0, size).Select(_ => (uint)prng.NextInRange(1, 3)).ToArray() : null;
        Func<QuorumSettings, QuorumSettings> tweak = configuration switch
        {
            "wait_for_all" => s => s with { WaitForAll = true },
            "atb_lowest" => s => s with { AutoTieBreaker = true },
            "atb_highest" => s => s with { AutoTieBreaker = true, AutoTieBreakerNode = "highest" },
            "atb_list" => s => s with { AutoTieBreaker = true, AutoTieBreakerNode = string.Join(' ', Enumerable.Range(1, size).Reverse()) },
            "lms_wait_for_all" => s => s with { LastManStanding = true, LastManStandingWindow = Duration.FromMilliseconds(1500), WaitForAll = true },
            _ => s => s,
        };

        var test = new QuorumTestCluster(size, seed, tweak, votes);
        var cluster = test.Cluster;
        var context = $"seed {seed} ({configuration}, {size} nodes; replay with ROOKERY_QUORUM_SEED={seed} ROOKERY_QUORUM_SEEDS=1)";
        test.Form();
        cluster.AfterStep = () => CheckSafety(test, context, coverage);
        for (var action = 0; action < ActionsPerSeed; action++)
        {
            var alive = cluster.AliveNodes.ToArray();
            switch (prng.NextBelow(10))
            {
                case 0 or 1 or 2 or 3:
                    cluster.RandomMembershipChange(prng);
                    break;

                case 4 when configuration == "raise_expected":
                {
                    var node = alive[prng.NextBelow((ulong)alive.Length)].Value;
                    var target = test.Status(node).ExpectedVotes + (uint)prng.NextInRange(0, 2);
                    cluster[node].QuorumCommand(cluster.Now, (core, outputs) => core.SetExpectedVotes(target, outputs));
                    cluster.Drain(node);
                    break;
                }

                default:
                    cluster.Run(Duration.FromMilliseconds((long)prng.NextInRange(1, 2500)));
                    break;
            }
        }

        cluster.Heal();
        cluster.RunUntilSettled();
        CheckAgreement(test, context, historyDependent: configuration is not ("plain" or "weighted"));
    }

    private static void CheckSafety(QuorumTestCluster test, string context, Coverage coverage)
    {
        var settled = test.Cluster.AliveNodes.Select(n => test.Core(n.Value)).Where(c => !c.Syncing).ToArray();
        if (settled.Any(c => c.Quorate) && settled.Any(c => !c.Quorate))
        {
            coverage.Split++;
        }

        if (settled.Any(c => c.Quorate && c.Status.TotalVotes * 2 == c.ExpectedVotes))
        {
            coverage.TieBreaks++;
        }

        var active = test.Cluster.AliveNodes
            .Select(n => (Node: n, Core: test.Core(n.Value)))
            .Where(x => x.Core.Quorate && !x.Core.Syncing)
            .ToArray();
        for (var i = 0; i < active.Length; i++)
        {
            for (var j = i + 1; j < active.Length; j++)
            {
                var a = active[i];
                var b = active[j];
                if (a.Core.ExpectedVotes == b.Core.ExpectedVotes && !a.Core.Members.Intersect(b.Core.Members).Any())
                {
                    Assert.Fail(
                        $"{context}: at {test.Cluster.Now} nodes {a.Node} [{string.Join(' ', a.Core.Members)}] and {b.Node} [{string.Join(' ', b.Core.Members)}] " +
                        $"are both quorate with expected votes {a.Core.ExpectedVotes}\n{QuorumLog(test, a.Node.Value)}\n{QuorumLog(test, b.Node.Value)}");
                }
            }
        }
    }

    /// <summary>The tail of a node's quorum and membership log, for a failure message.</summary>
    private static string QuorumLog(QuorumTestCluster test, uint node)
    {
        const int linesMax = 60;
        var lines = test.LogLines(node).Where(l => l.Contains("quorum", StringComparison.OrdinalIgnoreCase) || l.Contains("votes", StringComparison.Ordinal)
            || l.Contains("membership", StringComparison.Ordinal) || l.Contains("nodeinfo", StringComparison.Ordinal) || l.Contains("Members", StringComparison.Ordinal)).ToList();
        return $"node {node}, last {Math.Min(linesMax, lines.Count)} quorum lines:\n  " + string.Join("\n  ", lines.TakeLast(linesMax));
    }

    private static void CheckAgreement(QuorumTestCluster test, string context, bool historyDependent)
    {
        var statuses = test.Cluster.AliveNodes.Select(n => test.Status(n.Value)).ToArray();
        var first = statuses[0];
        var expectedMembers = string.Join(' ', test.Cluster.AliveNodes);
        foreach (var status in statuses)
        {
            Assert.False(test.Core(status.NodeId.Value).Syncing, context);
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
            var present = test.Cluster.AliveNodes.Aggregate(0u, (sum, n) => sum + test.Votes[n.Value - 1]);
            var configured = test.Votes.Aggregate(0u, (sum, v) => sum + v);
            Assert.True(first.TotalVotes == present, $"{context}: healed with {first.TotalVotes} votes counted, {present} present");
            Assert.True(first.Quorate == (first.TotalVotes * 2 > configured), $"{context}: healed with {first.TotalVotes} of {configured} votes, quorate {first.Quorate}");
        }
    }
}

/// <summary>
/// Goal: a votequorum run on the composition is a function of its seed (what the sweeps' replay variables rely on).
/// Method: the same seeded run of five nodes with last_man_standing and wait_for_all under random partitions twice,
/// hashing every node's output (log lines, quorum reports, group events, what is persisted) with the virtual time of
/// each drain; a different seed must give a different hash.
/// </summary>
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
        var test = new QuorumTestCluster(5, seed, s => s with { LastManStanding = true, LastManStandingWindow = Duration.FromMilliseconds(1000), WaitForAll = true });
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var read = new Dictionary<uint, int>();
        test.Cluster.Drained = id =>
        {
            var outputs = test.Cluster.Outputs[id];
            for (var i = read.GetValueOrDefault(id); i < outputs.Count; i++)
            {
                var text = outputs[i] switch
                {
                    QuorumReported { Notification: var n } => $"quorate {n.Quorate} {n.RingId} {string.Join(' ', n.Members)}",
                    ServiceLog log => $"{log.Subsystem} {log.Priority} {log.Text}",
                    var other => other.ToString(),
                };
                hash.AppendData(Encoding.UTF8.GetBytes($"{test.Cluster.Now} {id} {text}\n"));
            }

            read[id] = outputs.Count;
        };

        test.Form();
        for (var i = 0; i < 12; i++)
        {
            var components = new[] { new List<uint>(), new List<uint>() };
            foreach (var node in test.Cluster.Nodes.Keys)
            {
                components[prng.NextBelow(2)].Add(node);
            }

            test.Cluster.Partition(components);
            test.Cluster.Run(Duration.FromMilliseconds((long)prng.NextInRange(1, 3000)));
        }

        test.Cluster.Heal();
        test.Cluster.RunUntilSettled();
        return Convert.ToHexString(hash.GetHashAndReset());
    }
}
