using Rookery.Cli.Formatting;
using Rookery.Control;

namespace Rookery.Cli.Tests;

public sealed class LinksFormatterTests
{
    [Fact]
    public void Link_blocks_match_corosync_cfgtool_s()
    {
        // corosync-spec.md §8.2, the output observed from corosync 3.1.7 (ha_cluster_exporter#279).
        var links = new LinksStatus(2, "knet",
        [
            new NodeLinks(1, "one", true, false, [new LinkInfo(0, true, true, true, 1, "10.10.11.2", "10.10.11.1", 100, 1, 1, 0, 1)]),
            new NodeLinks(2, "two", true, true, [new LinkInfo(0, true, true, false, 1, "10.10.11.2", "10.10.11.2", 0, 0, 0, 0, 0)]),
        ]);

        var text = LinksFormatter.Format(links);

        Assert.StartsWith(
            "Local node ID 2, transport knet\n" +
            "LINK ID 0 udp\n" +
            "\taddr\t= 10.10.11.2\n" +
            "\tstatus:\n" +
            "\t\tnodeid:          1:\tconnected\n" +
            "\t\tnodeid:          2:\tlocalhost\n",
            text,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Every_configured_link_gets_a_block_and_every_peer_a_detail_line_per_link()
    {
        var text = LinksFormatter.Format(Samples.ThreeNodeLinks());

        Assert.Contains("LINK ID 1 udp\n\taddr\t= 127.0.2.1\n", text, StringComparison.Ordinal);
        Assert.Contains("\t\tnodeid:          3:\tdisconnected\n", text, StringComparison.Ordinal);
        Assert.Contains("nodeid: 2 (due) reachable\n", text, StringComparison.Ordinal);
        Assert.Contains(
            "   LINK: 1 udp (127.0.2.1->127.0.2.2) enabled connected active pri: 20 latency: 152us tx: 900 rx: 901 down: 1 up: 2\n",
            text,
            StringComparison.Ordinal);
        Assert.Contains("nodeid: 3 (tre) unreachable\n   LINK: 0 udp (127.0.1.1->127.0.1.3) enabled pri: 15", text, StringComparison.Ordinal);
        Assert.Contains("   LINK: 1 udp (127.0.2.1->127.0.2.3) disabled pri: 20", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Dropped_packets_are_shown_by_reason_after_the_links()
    {
        var links = Samples.ThreeNodeLinks() with { Dropped = new DroppedPackets(3, 1, 7, 2, 0, 4, 120, 0, 0, 5, 6, 8, 9, 10) };

        var text = LinksFormatter.Format(links);

        Assert.EndsWith(
            "\nDropped packets (counted, not logged): crypto: 3 malformed: 1 unknown source: 7 unknown host: 2 wrong link: 0 not reachable: 4 duplicate: 120 compressed: 0 reassembly: 0 stale pong: 5 totem decode: 6 totem stranger: 8 service decode: 9 unsent: 10\n",
            text,
            StringComparison.Ordinal);
        Assert.Equal(36, links.Dropped!.Rejected);
    }
}
