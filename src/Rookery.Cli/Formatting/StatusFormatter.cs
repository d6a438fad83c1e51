using System.Globalization;
using System.Text;
using Rookery.Control;

namespace Rookery.Cli.Formatting;

/// <summary>
/// The human layouts of <c>rookery status</c> and <c>rookery nodes</c>, byte for byte those of <c>pvecm status</c>
/// (pvecm's header plus <c>corosync-quorumtool -siH</c>) and <c>pvecm nodes</c> (<c>corosync-quorumtool -l</c>),
/// with a Links section after the membership that pvecm cannot show.
/// </summary>
public static class StatusFormatter
{
    /// <summary>quorumtool prints every column right-aligned in 10 characters and a space (<c>print_string_padded</c>).</summary>
    private const int ColumnWidth = 10;

    /// <summary><c>rookery status</c>: pvecm's layout, then the Links section.</summary>
    /// <param name="status">The node's status.</param>
    /// <param name="now">The time for the <c>Date:</c> line (printed in the local time zone, as ctime(3) does).</param>
    public static string FormatStatus(ClusterStatus status, DateTimeOffset now)
    {
        var text = new StringBuilder();
        AppendClusterInformation(text, status.Cluster);
        text.Append('\n');
        AppendQuorumInformation(text, status, now);
        AppendMembership(text, status.Members, hexNodeIds: true, useAddresses: true);
        AppendLinks(text, status.Links);
        return text.ToString();
    }

    /// <summary><c>rookery nodes</c>: exactly <c>pvecm nodes</c> (decimal ids, nodelist names, leading blank line).</summary>
    public static string FormatNodes(IReadOnlyList<MemberInfo> members)
    {
        var text = new StringBuilder();
        AppendMembership(text, members, hexNodeIds: false, useAddresses: false);
        return text.ToString();
    }

    /// <summary>ctime(3) without the newline: <c>Tue Sep 14 11:06:47 2021</c>, day of month space-padded.</summary>
    public static string CTime(DateTimeOffset time)
    {
        var local = time.ToLocalTime();
        var day = local.Day.ToString(CultureInfo.InvariantCulture).PadLeft(2);
        return string.Create(CultureInfo.InvariantCulture, $"{local:ddd MMM} {day} {local:HH:mm:ss yyyy}");
    }

    private static void AppendClusterInformation(StringBuilder text, ClusterInfo cluster)
    {
        // pvecm: printf "%-17s %s\n".
        text.Append("Cluster information\n-------------------\n");
        AppendField(text, "Name:", cluster.Name);
        AppendField(text, "Config Version:", cluster.ConfigVersion.ToString(CultureInfo.InvariantCulture));
        AppendField(text, "Transport:", cluster.Transport);
        AppendField(text, "Secure auth:", cluster.SecureAuth ? "on" : "off");
    }

    private static void AppendField(StringBuilder text, string name, string value) =>
        text.Append(name.PadRight(17)).Append(' ').Append(value).Append('\n');

    private static void AppendQuorumInformation(StringBuilder text, ClusterStatus status, DateTimeOffset now)
    {
        var quorum = status.Quorum;
        var invariant = CultureInfo.InvariantCulture;
        text.Append("Quorum information\n------------------\n");
        text.Append("Date:             ").Append(CTime(now)).Append('\n');
        text.Append("Quorum provider:  ").Append(quorum.Provider).Append('\n');
        text.Append("Nodes:            ").Append(status.Members.Count.ToString(invariant)).Append('\n');
        text.Append("Node ID:          ").Append(HexNodeId(quorum.NodeId)).Append('\n');
        text.Append("Ring ID:          ").Append(quorum.RingId).Append('\n');
        text.Append("Quorate:          ").Append(quorum.Quorate ? "Yes" : "No").Append('\n');
        text.Append("\nVotequorum information\n----------------------\n");
        text.Append("Expected votes:   ").Append(quorum.ExpectedVotes.ToString(invariant)).Append('\n');
        text.Append("Highest expected: ").Append(quorum.HighestExpected.ToString(invariant)).Append('\n');
        text.Append("Total votes:      ").Append(quorum.TotalVotes.ToString(invariant)).Append('\n');

        // quorumtool: "%d %s" with " " when quorate, so a quorate line ends in two spaces.
        text.Append("Quorum:           ").Append(quorum.Quorum.ToString(invariant)).Append(' ')
            .Append(quorum.Quorate ? " " : "Activity blocked").Append('\n');
        text.Append("Flags:            ");
        foreach (var flag in QuorumFlags.InOrder(quorum.Flags))
        {
            text.Append(flag).Append(' ');
        }

        text.Append('\n');
    }

    private static void AppendMembership(StringBuilder text, IReadOnlyList<MemberInfo> members, bool hexNodeIds, bool useAddresses)
    {
        text.Append("\nMembership information\n----------------------\n");
        text.Append(Column("Nodeid")).Append(Column("Votes")).Append("Name\n");
        foreach (var member in members.OrderBy(m => m.Nodeid))
        {
            text.Append(hexNodeIds ? HexNodeId(member.Nodeid) + " " : Column(member.Nodeid.ToString(CultureInfo.InvariantCulture)));
            text.Append(Column(member.Votes.ToString(CultureInfo.InvariantCulture)));
            text.Append(useAddresses ? member.Address : member.Name);
            if (member.Local)
            {
                text.Append(" (local)");
            }

            text.Append('\n');
        }
    }

    private static void AppendLinks(StringBuilder text, LinksStatus links)
    {
        text.Append("\nLinks information\n-----------------\n");
        text.Append(Column("Nodeid")).Append(Column("Link")).Append(Column("Priority")).Append(Column("Latency us"))
            .Append(Column("Status")).Append("Name\n");
        foreach (var node in links.Nodes.Where(n => !n.Local).OrderBy(n => n.Nodeid))
        {
            foreach (var link in node.Links.OrderBy(l => l.Link))
            {
                text.Append(HexNodeId(node.Nodeid)).Append(' ');
                text.Append(Column(link.Link.ToString(CultureInfo.InvariantCulture)));
                text.Append(Column(link.Priority.ToString(CultureInfo.InvariantCulture)));
                text.Append(Column(link.LatencyUs.ToString(CultureInfo.InvariantCulture)));
                text.Append(Column(LinkState(link)));
                text.Append(node.Name).Append('\n');
            }
        }

        if (links.Dropped is { } dropped)
        {
            text.Append(CultureInfo.InvariantCulture, $"Rejected packets: {dropped.Rejected} (bad or from strangers; 'rookery links' shows every drop counter)\n");
        }
    }

    /// <summary>One word for a link's state: <c>active</c> (carries traffic), <c>connected</c> (standby), <c>down</c>, <c>disabled</c>.</summary>
    public static string LinkState(LinkInfo link) =>
        !link.Enabled ? "disabled" : !link.Connected ? "down" : link.Active ? "active" : "connected";

    private static string Column(string value) => value.PadLeft(ColumnWidth) + " ";

    private static string HexNodeId(uint nodeId) => "0x" + nodeId.ToString("x8", CultureInfo.InvariantCulture);
}
