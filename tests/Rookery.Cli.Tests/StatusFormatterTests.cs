using Rookery.Cli.Formatting;
using Rookery.Control;

namespace Rookery.Cli.Tests;

public sealed class StatusFormatterTests
{
    private static readonly DateTimeOffset s_docsDate = new(new DateTime(2021, 9, 14, 11, 6, 47, DateTimeKind.Local));

    [Fact]
    public void Status_matches_pvecm_status_byte_for_byte()
    {
        // pvecm.md §3.1, the pve-docs example with node 1 local. The docs trim trailing blanks; quorumtool prints
        // "Quorum: %d %s" with " " (two trailing spaces) and every flag followed by a space.
        var expected =
            "Cluster information\n" +
            "-------------------\n" +
            "Name:             prod-central\n" +
            "Config Version:   3\n" +
            "Transport:        knet\n" +
            "Secure auth:      on\n" +
            "\n" +
            "Quorum information\n" +
            "------------------\n" +
            "Date:             Tue Sep 14 11:06:47 2021\n" +
            "Quorum provider:  corosync_votequorum\n" +
            "Nodes:            4\n" +
            "Node ID:          0x00000001\n" +
            "Ring ID:          1.1a8\n" +
            "Quorate:          Yes\n" +
            "\n" +
            "Votequorum information\n" +
            "----------------------\n" +
            "Expected votes:   4\n" +
            "Highest expected: 4\n" +
            "Total votes:      4\n" +
            "Quorum:           3  \n" +
            "Flags:            Quorate \n" +
            "\n" +
            "Membership information\n" +
            "----------------------\n" +
            "    Nodeid      Votes Name\n" +
            "0x00000001          1 192.168.15.91 (local)\n" +
            "0x00000002          1 192.168.15.92\n" +
            "0x00000003          1 192.168.15.93\n" +
            "0x00000004          1 192.168.15.94\n";

        var text = StatusFormatter.FormatStatus(Samples.DocsExample(), s_docsDate);

        Assert.StartsWith(expected, text, StringComparison.Ordinal);
        Assert.Equal("\nLinks information\n-----------------\n    Nodeid       Link   Priority Latency us     Status Name\n", text[expected.Length..]);
    }

    [Fact]
    public void Inquorate_status_says_activity_blocked_and_prints_no_quorate_flag()
    {
        var status = Samples.DocsExample();
        status = status with { Quorum = status.Quorum with { Quorate = false, TotalVotes = 1, Quorum = 2, Flags = [QuorumFlags.WaitForAll] } };

        var text = StatusFormatter.FormatStatus(status, s_docsDate);

        Assert.Contains("Quorate:          No\n", text, StringComparison.Ordinal);
        Assert.Contains("Quorum:           2 Activity blocked\n", text, StringComparison.Ordinal);
        Assert.Contains("Flags:            WaitForAll \n", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Flags_are_printed_in_quorumtool_order_whatever_order_they_come_in()
    {
        var status = Samples.DocsExample();
        status = status with { Quorum = status.Quorum with { Flags = [QuorumFlags.WaitForAll, QuorumFlags.Quorate, QuorumFlags.TwoNode] } };

        Assert.Contains("Flags:            2Node Quorate WaitForAll \n", StatusFormatter.FormatStatus(status, s_docsDate), StringComparison.Ordinal);
    }

    [Fact]
    public void Nodes_matches_pvecm_nodes_byte_for_byte()
    {
        // pvecm.md §3.2 with node 2 local; the leading blank line is real.
        var members = Samples.DocsExample().Members.Select(m => m with { Local = m.Nodeid == 2 }).Reverse().ToArray();
        var expected =
            "\n" +
            "Membership information\n" +
            "----------------------\n" +
            "    Nodeid      Votes Name\n" +
            "         1          1 hp1\n" +
            "         2          1 hp2 (local)\n" +
            "         3          1 hp3\n" +
            "         4          1 hp4\n";

        Assert.Equal(expected, StatusFormatter.FormatNodes(members));
    }

    [Fact]
    public void Links_section_shows_every_peer_link_with_its_state()
    {
        var text = StatusFormatter.FormatStatus(Samples.ThreeNodeStatus(), s_docsDate);
        var section = text[text.IndexOf("\nLinks information\n", StringComparison.Ordinal)..];

        Assert.Equal(
            "\nLinks information\n" +
            "-----------------\n" +
            "    Nodeid       Link   Priority Latency us     Status Name\n" +
            "0x00000002          0         15        140  connected due\n" +
            "0x00000002          1         20        152     active due\n" +
            "0x00000003          0         15          0       down tre\n" +
            "0x00000003          1         20          0   disabled tre\n",
            section);
    }

    [Fact]
    public void Links_section_ends_with_the_number_of_rejected_packets()
    {
        var status = Samples.ThreeNodeStatus();
        status = status with { Links = status.Links with { Dropped = new DroppedPackets(3, 0, 1, 0, 2, 4, 99, 0, 0, 7, 0, 0, 0, 5) } };

        var text = StatusFormatter.FormatStatus(status, s_docsDate);

        Assert.EndsWith("0x00000003          1         20          0   disabled tre\nRejected packets: 4 (bad or from strangers; 'rookery links' shows every drop counter)\n", text, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(2025, 11, 7, "Fri Nov  7 12:00:00 2025")]
    [InlineData(2021, 9, 14, "Tue Sep 14 12:00:00 2021")]
    public void Date_is_ctime_with_a_space_padded_day(int year, int month, int day, string expected) =>
        Assert.Equal(expected, StatusFormatter.CTime(new DateTimeOffset(new DateTime(year, month, day, 12, 0, 0, DateTimeKind.Local))));
}
