namespace Rookery.Quorum.Tests;

public sealed class QuorumConfigurationTests
{
    private static QuorumSettings Nodes(int count, uint votes = 1) => new()
    {
        LocalNode = new NodeId(1),
        Nodelist = Enumerable.Range(1, count).Select(i => new NodelistVotes(new NodeId((uint)i), votes)).ToArray(),
    };

    private static string? ErrorOf(QuorumSettings settings)
    {
        var result = QuorumConfiguration.Resolve(settings, [], out var error);
        Assert.Equal(result is null, error is not null);
        return error;
    }

    public static TheoryData<string, string> Conflicts => new()
    {
        { "no-nodelist", "configuration error: nodelist or quorum.expected_votes must be configured!" },
        { "two-node-qdevice", "configuration error: two_node and quorum device cannot be configured at the same time!" },
        { "qdevice-lms", "configuration error: quorum.device is not compatible with last_man_standing" },
        { "qdevice-atb", "configuration error: quorum.device is not compatible with auto_tie_breaker" },
        { "qdevice-downscale", "configuration error: quorum.device is not compatible with allow_downscale" },
        { "qdevice-expected", "configuration error: quorum.device.votes must be specified when quorum.expected_votes is set" },
        { "qdevice-uneven", "configuration error: quorum.device.votes must be specified when not all nodes votes 1" },
        { "qdevice-too-high", "configuration error: quorum.device.votes is too high or expected_votes is too low" },
        { "atb-lms-odd", "configuration error: auto_tie_breaker & last_man_standing not available in odd sized cluster" },
    };

    [Theory]
    [MemberData(nameof(Conflicts))]
    public void ConflictsAreRefusedWithCorosyncsMessage(string name, string message)
    {
        var settings = name switch
        {
            "no-nodelist" => new QuorumSettings { LocalNode = new NodeId(1) },
            "two-node-qdevice" => Nodes(2) with { TwoNode = true, QuorumDeviceConfigured = true },
            "qdevice-lms" => Nodes(4) with { QuorumDeviceConfigured = true, LastManStanding = true },
            "qdevice-atb" => Nodes(4) with { QuorumDeviceConfigured = true, AutoTieBreaker = true },
            "qdevice-downscale" => Nodes(4) with { QuorumDeviceConfigured = true, AllowDownscale = true },
            "qdevice-expected" => Nodes(4) with { QuorumDeviceConfigured = true, ExpectedVotes = 5 },
            "qdevice-uneven" => Nodes(3) with { QuorumDeviceConfigured = true, Nodelist = [new(new NodeId(1), 2), new(new NodeId(2), 1), new(new NodeId(3), 1)] },
            "qdevice-too-high" => Nodes(4) with { QuorumDeviceConfigured = true, QuorumDeviceVotes = 4, ExpectedVotes = 5 },
            "atb-lms-odd" => Nodes(3) with { AutoTieBreaker = true, LastManStanding = true },
            _ => throw new ArgumentOutOfRangeException(nameof(name)),
        };

        Assert.Equal(message, ErrorOf(settings));
    }

    [Fact]
    public void TwoNodeWithAutoTieBreakerDisablesTwoNodeWithCriticalLog()
    {
        var log = new List<LogEntry>();
        var configuration = QuorumConfiguration.Resolve(Nodes(2) with { TwoNode = true, AutoTieBreaker = true }, log, out _);
        Assert.NotNull(configuration);
        Assert.False(configuration.TwoNode);
        Assert.Equal(AutoTieBreakerMode.Lowest, configuration.AutoTieBreaker);
        Assert.Contains(log, l => l.Priority == LogPriority.Critical && l.Text == "two_node has been disabled, please fix your corosync.conf");
    }

    [Fact]
    public void AutoTieBreakerInOddClusterNeedsWaitForAll()
    {
        var log = new List<LogEntry>();
        var disabled = QuorumConfiguration.Resolve(Nodes(5) with { AutoTieBreaker = true }, log, out _);
        Assert.Equal(AutoTieBreakerMode.None, disabled!.AutoTieBreaker);
        Assert.Contains(log, l => l.Text == "Therefore auto_tie_breaker has been disabled. Please fix your corosync.conf");

        var kept = QuorumConfiguration.Resolve(Nodes(5) with { AutoTieBreaker = true, WaitForAll = true }, [], out _);
        Assert.Equal(AutoTieBreakerMode.Lowest, kept!.AutoTieBreaker);
    }

    [Theory]
    [InlineData("lowest", AutoTieBreakerMode.Lowest, "")]
    [InlineData("highest", AutoTieBreakerMode.Highest, "")]
    [InlineData("3 1 2", AutoTieBreakerMode.List, "3,1,2")]
    [InlineData("bogus", AutoTieBreakerMode.None, "")]
    public void AutoTieBreakerNodeIsParsedAsCorosyncDoes(string value, AutoTieBreakerMode mode, string list)
    {
        var log = new List<LogEntry>();
        var configuration = QuorumConfiguration.Resolve(Nodes(4) with { AutoTieBreaker = true, AutoTieBreakerNode = value }, log, out _);
        Assert.Equal(mode, configuration!.AutoTieBreaker);
        Assert.Equal(list, string.Join(',', configuration.AutoTieBreakerNodes));
        Assert.Equal(mode == AutoTieBreakerMode.None, log.Any(l => l.Text.StartsWith("auto_tie_breaker_nodes is not valid", StringComparison.Ordinal)));
    }

    [Fact]
    public void ExpectedVotesComeFromNodelistThenExpectedVotesThenTrackingBarrier()
    {
        Assert.Equal(6u, QuorumConfiguration.Resolve(Nodes(3, votes: 2), [], out _)!.ExpectedVotes);
        Assert.Equal(2u, QuorumConfiguration.Resolve(Nodes(3, votes: 2), [], out _)!.Votes);
        Assert.Equal(7u, QuorumConfiguration.Resolve(Nodes(3) with { ExpectedVotes = 7 }, [], out _)!.ExpectedVotes);
        var tracked = QuorumConfiguration.Resolve(Nodes(3) with { ExpectedVotes = 7, ExpectedVotesTracking = true, ExpectedVotesTrackingBarrier = 9 }, [], out _)!;
        Assert.Equal(9u, tracked.ExpectedVotes);
        var noNodelist = QuorumConfiguration.Resolve(new QuorumSettings { LocalNode = new NodeId(4), ExpectedVotes = 3, Votes = 2 }, [], out _)!;
        Assert.Equal((2u, 3u), (noNodelist.Votes, noNodelist.ExpectedVotes));
    }

    [Fact]
    public void QuorumDeviceVotesAreComputedWhenEveryNodeVotesOne()
    {
        var configuration = QuorumConfiguration.Resolve(Nodes(3) with { QuorumDeviceConfigured = true }, [], out _)!;
        Assert.Equal(2u, configuration.QuorumDeviceVotes);
        Assert.Equal(5u, configuration.ExpectedVotes);
    }

    [Fact]
    public void WaitForAllFollowsTwoNodeUnlessSet()
    {
        Assert.True(QuorumConfiguration.Resolve(Nodes(2) with { TwoNode = true }, [], out _)!.WaitForAll);
        Assert.False(QuorumConfiguration.Resolve(Nodes(2) with { TwoNode = true, WaitForAll = false }, [], out _)!.WaitForAll);
        Assert.False(QuorumConfiguration.Resolve(Nodes(3), [], out _)!.WaitForAll);
    }

    [Fact]
    public void AllowDownscaleImpliesExpectedVotesTracking() =>
        Assert.True(QuorumConfiguration.Resolve(Nodes(3) with { AllowDownscale = true }, [], out _)!.ExpectedVotesTracking);
}
