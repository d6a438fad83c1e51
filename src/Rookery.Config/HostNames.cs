using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Rookery.Config;

/// <summary>
/// Host names in <c>ringX_addr</c>: Rookery's one rule, the same in <c>create</c>, <c>addnode</c>, <c>config check</c>
/// and the daemon. A name is resolved as corosync resolves it when it loads the file (corosync: <c>totemip_parse</c>
/// called from <c>totemconfig.c</c>): the resolver's answers in its own order, filtered by <c>totem.ip_version</c>:
/// <c>ipv4</c> takes the first IPv4 address, <c>ipv6</c> the first IPv6 one, <c>ipv6-4</c> (the default) the first
/// IPv6 address and else the first IPv4 one, <c>ipv4-6</c> the other way round. The daemon uses the chosen address
/// (at start and at every reload); a name that gives no address of an allowed family is an error (exit 8), where
/// corosync leaves the node out silently. <c>create</c> and <c>addnode</c> write the chosen address, not the name,
/// as pvecm does since PVE 5.1, so a later change in DNS cannot move a link. Pure: the caller passes the resolver.
/// </summary>
public static class HostNames
{
    /// <summary>Whether a ringX_addr value is a host name (not an IPv4 or IPv6 literal).</summary>
    public static bool IsName(string address) => !IPAddress.TryParse(address, out _);

    /// <summary>corosync's choice among a name's addresses for <paramref name="ipVersion"/>; null when none fits.</summary>
    public static IPAddress? Choose(IEnumerable<IPAddress> found, string ipVersion)
    {
        var list = found.ToList();
        var v4 = list.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork);
        var v6 = list.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetworkV6);
        return ipVersion switch
        {
            "ipv4" => v4,
            "ipv6" => v6,
            "ipv4-6" => v4 ?? v6,
            _ => v6 ?? v4,
        };
    }

    /// <summary>The families <paramref name="ipVersion"/> allows, in words (for messages).</summary>
    public static string Families(string ipVersion) => ipVersion switch
    {
        "ipv4" => "an IPv4 address",
        "ipv6" => "an IPv6 address",
        "ipv4-6" => "an IPv4 or IPv6 address",
        _ => "an IPv6 or IPv4 address",
    };

    /// <summary>The message for a name that does not resolve, with what to do.</summary>
    public static string Unresolvable(string key, string name, string where, string ipVersion) =>
        $"{key} '{name}'{where} does not resolve to {Families(ipVersion)} (totem.ip_version {ipVersion}): fix the name (DNS, /etc/hosts) or write the IP address instead";

    /// <summary>
    /// Replaces every host name in the nodelist's ringX_addr by the address corosync would use; each name gives one
    /// diagnostic (a warning with the address chosen, or an error when it does not resolve). Line numbers are kept.
    /// </summary>
    public static (string Text, List<Diagnostic> Diagnostics) Resolve(LoadResult parsed, Func<string, IReadOnlyList<IPAddress>> resolve)
    {
        var diagnostics = new List<Diagnostic>();
        var lines = parsed.Document.Lines.ToArray();
        var ipVersion = parsed.Config.Totem.IpVersion;
        var file = parsed.Document.FileName;
        foreach (var node in parsed.Config.Nodes)
        {
            foreach (var (link, address) in node.RingAddresses)
            {
                if (!IsName(address))
                {
                    continue;
                }

                var key = NodeConfig.RingKey(link);
                var line = node.Keys.LineOf(key);
                var where = $" for node '{node.DisplayName}'";
                var chosen = Choose(resolve(address), ipVersion);
                if (chosen is null)
                {
                    diagnostics.Add(Diagnostic.Error(file, line, Unresolvable(key, address, where, ipVersion)));
                    continue;
                }

                diagnostics.Add(Diagnostic.Warning(file, line, string.Create(CultureInfo.InvariantCulture,
                    $"{key} '{address}'{where} resolves to '{chosen}' (totem.ip_version {ipVersion}), which is used; consider writing that address: a name can resolve differently after a restart")));
                if (line > 0 && line <= lines.Length && lines[line - 1].IndexOf(':', StringComparison.Ordinal) is var colon and >= 0)
                {
                    var physical = lines[line - 1];
                    var ending = physical.EndsWith("\r\n", StringComparison.Ordinal) ? "\r\n" : physical.EndsWith('\n') ? "\n" : "";
                    lines[line - 1] = $"{physical[..(colon + 1)]} {chosen}{ending}";
                }
            }
        }

        return (string.Concat(lines), diagnostics);
    }
}
