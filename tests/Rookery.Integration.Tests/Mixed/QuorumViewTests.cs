namespace Rookery.Integration.Tests.Mixed;

/// <summary>Goal: the mixed tests compare like with like. Method: the parser reads corosync-quorumtool -s and rookery status as each prints them.</summary>
public sealed class QuorumViewTests
{
    private const string Quorumtool = "Quorum information\n------------------\nDate:             Mon Dec  7 18:07:36 2026\nQuorum provider:  corosync_votequorum\nNodes:            3\nNode ID:          1\nRing ID:          1.d\nQuorate:          Yes\n\nVotequorum information\n----------------------\nExpected votes:   3\nHighest expected: 3\nTotal votes:      3\nQuorum:           2  \nFlags:            Quorate \n\nMembership information\n----------------------\n    Nodeid      Votes Name\n         1          1 node1 (local)\n         2          1 node2\n         3          1 node3\n";

    private const string RookeryStatus = "Cluster information\n-------------------\nName:             rookery-interop\nConfig Version:   1\nTransport:        knet\nSecure auth:      on\n\nQuorum information\n------------------\nDate:             Mon Dec  7 18:07:37 2026\nQuorum provider:  corosync_votequorum\nNodes:            3\nNode ID:          0x00000003\nRing ID:          1.d\nQuorate:          Yes\n\nVotequorum information\n----------------------\nExpected votes:   3\nHighest expected: 3\nTotal votes:      3\nQuorum:           2  \nFlags:            Quorate \n\nMembership information\n----------------------\n    Nodeid      Votes Name\n0x00000001          1 10.10.10.1\n0x00000002          1 10.10.10.2\n0x00000003          1 10.10.10.3 (local)\n\nLinks information\n-----------------\n    Nodeid       Link   Priority Latency us     Status Name\n0x00000001          0         15       4501  connected node1\n";

    [Fact]
    public void CorosyncQuorumtoolAndRookeryStatusOfOneClusterParseToTheSameView()
    {
        var corosync = QuorumView.Parse(Quorumtool);
        var rookery = QuorumView.Parse(RookeryStatus);
        Assert.NotNull(corosync);
        Assert.NotNull(rookery);
        Assert.Equal("nodes=3 ring=1.d quorate=True expected=3 highest=3 total=3 quorum=2 members=[1 2 3]", corosync.Agreed);
        Assert.Equal(corosync.Agreed, rookery.Agreed);
    }
}
