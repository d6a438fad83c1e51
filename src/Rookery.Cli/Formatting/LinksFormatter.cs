using System.Globalization;
using System.Text;
using Rookery.Control;

namespace Rookery.Cli.Formatting;

/// <summary>
/// <c>rookery links</c>: <c>corosync-cfgtool -s</c>'s layout (one block per link, a status line per node), followed
/// by <c>corosync-cfgtool -n</c>'s per-node view with what cfgtool lacks: which link is active, its priority,
/// latency, packet counters and up/down counts.
/// </summary>
public static class LinksFormatter
{
    public static string Format(LinksStatus links)
    {
        var text = new StringBuilder();
        var invariant = CultureInfo.InvariantCulture;
        text.Append(invariant, $"Local node ID {links.LocalNodeid}, transport {links.Transport}\n");
        var nodes = links.Nodes.OrderBy(n => n.Nodeid).ToArray();
        var local = nodes.FirstOrDefault(n => n.Local);
        var linkNumbers = nodes.SelectMany(n => n.Links).Select(l => l.Link).Distinct().Order().ToArray();
        foreach (var number in linkNumbers)
        {
            var localAddress = local?.Links.FirstOrDefault(l => l.Link == number)?.LocalAddr
                ?? nodes.SelectMany(n => n.Links).First(l => l.Link == number).LocalAddr;
            text.Append(invariant, $"LINK ID {number} udp\n");
            text.Append(invariant, $"\taddr\t= {localAddress}\n");
            text.Append("\tstatus:\n");
            foreach (var node in nodes)
            {
                var link = node.Links.FirstOrDefault(l => l.Link == number);
                var state = node.Local ? "localhost" : link is { Enabled: true, Connected: true } ? "connected" : "disconnected";
                text.Append(invariant, $"\t\tnodeid: {node.Nodeid,10}:\t{state}\n");
            }
        }

        foreach (var node in nodes.Where(n => !n.Local))
        {
            text.Append('\n');
            text.Append(invariant, $"nodeid: {node.Nodeid} ({node.Name}) {(node.Reachable ? "reachable" : "unreachable")}\n");
            foreach (var link in node.Links.OrderBy(l => l.Link))
            {
                text.Append(invariant, $"   LINK: {link.Link} udp ({link.LocalAddr}->{link.RemoteAddr})");
                text.Append(link.Enabled ? " enabled" : " disabled");
                if (link.Connected)
                {
                    text.Append(" connected");
                }

                if (link.Active)
                {
                    text.Append(" active");
                }

                text.Append(invariant,
                    $" pri: {link.Priority} latency: {link.LatencyUs}us tx: {link.TxDataPackets} rx: {link.RxDataPackets} down: {link.DownCount} up: {link.UpCount}\n");
            }
        }

        if (links.Dropped is { } dropped)
        {
            text.Append('\n');
            text.Append(invariant,
                $"Dropped packets (counted, not logged): crypto: {dropped.RxCryptErrors} malformed: {dropped.RxMalformed} unknown source: {dropped.RxUnknownSource} unknown host: {dropped.RxUnknownHost} wrong link: {dropped.RxWrongLink} not reachable: {dropped.RxNotReachable} duplicate: {dropped.RxDuplicates} compressed: {dropped.RxCompressed} reassembly: {dropped.RxReassemblyErrors} stale pong: {dropped.RxStalePongs} totem decode: {dropped.TotemDecodeErrors} totem stranger: {dropped.TotemStrangers} service decode: {dropped.ServiceDecodeErrors} unsent: {dropped.TxNoReachableDestination}\n");
        }

        return text.ToString();
    }
}
