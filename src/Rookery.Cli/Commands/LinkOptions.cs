using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace Rookery.Cli.Commands;

/// <summary>One <c>--linkN [address=]ADDR[,priority=P]</c> value (pvecm's link format).</summary>
public sealed record LinkArgument(byte Link, string Address, byte? Priority);

/// <summary>
/// The <c>--link0</c> … <c>--link7</c> options of create and addnode and pvecm's property-string
/// rules for them (pve-common: <c>JSONSchema::parse_property_string</c>; pve-cluster:
/// <c>PVE::Corosync</c> link format), with pvecm's messages.
/// </summary>
public sealed partial class LinkOptions
{
    private readonly Option<string>[] _options;

    public LinkOptions(string priorityNote)
    {
        _options = [.. Enumerable.Range(0, Limits.LinksMax).Select(i => new Option<string>($"--link{i}")
        {
            Description = $"Address of link {i}: [address=]IP-or-DNS-name[,priority=0..255]{priorityNote}",
            HelpName = "ADDR",
        })];
    }

    public void AddTo(Command command)
    {
        foreach (var option in _options)
        {
            command.Options.Add(option);
        }
    }

    /// <summary>Every link given, parsed; all problems are collected into <paramref name="errors"/>.</summary>
    public IReadOnlyList<LinkArgument> Parse(ParseResult result, List<string> errors)
    {
        var links = new List<LinkArgument>();
        for (var i = 0; i < _options.Length; i++)
        {
            if (result.GetValue(_options[i]) is { } text)
            {
                var link = TryParse((byte)i, text, out var error);
                if (link is null)
                {
                    errors.Add($"link{i}: {error}");
                }
                else
                {
                    links.Add(link);
                }
            }
        }

        return links;
    }

    /// <summary>Parses <c>[address=]ADDR[,priority=P]</c>; null with pvecm's message on error.</summary>
    public static LinkArgument? TryParse(byte link, string text, out string error)
    {
        error = string.Empty;
        string? address = null;
        string? priorityText = null;
        foreach (var part in text.Split(','))
        {
            var equals = part.IndexOf('=');
            var (key, value) = equals < 0 ? ("address", part) : (part[..equals], part[(equals + 1)..]);
            if (equals == 0)
            {
                error = "missing key in comma-separated list property";
                return null;
            }

            switch (key)
            {
                case "address" when address is null:
                    address = value;
                    break;
                case "priority" when priorityText is null:
                    priorityText = value;
                    break;
                case "address" or "priority":
                    error = $"duplicate key in comma-separated list property: {key}";
                    return null;
                default:
                    error = $"invalid key in comma-separated list property: {key}";
                    return null;
            }
        }

        if (address is null)
        {
            error = "invalid format - property is missing and it is not optional: address";
            return null;
        }

        if (!IsAddress(address))
        {
            error = $"invalid format - value does not look like a valid address: {address}";
            return null;
        }

        byte? priority = null;
        if (priorityText is not null)
        {
            if (!long.TryParse(priorityText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
            {
                error = $"invalid format - type check ('integer') failed - got '{priorityText}'";
                return null;
            }

            if (number is < 0 or > 255)
            {
                error = number < 0 ? "invalid format - value must have a minimum value of 0" : "invalid format - value must have a maximum value of 255";
                return null;
            }

            priority = (byte)number;
        }

        return new LinkArgument(link, address, priority);
    }

    /// <summary>
    /// Host names among <paramref name="links"/> resolved by corosync's rule for <paramref name="ipVersion"/>
    /// (<see cref="Rookery.Config.HostNames"/>): the chosen address replaces the name (pvecm since PVE 5.1), and the
    /// choice is printed; a name without an address of an allowed family is an error.
    /// </summary>
    public static IReadOnlyList<LinkArgument> ResolveNames(CliContext context, IReadOnlyList<LinkArgument> links, string ipVersion, List<string> errors)
    {
        var resolved = new List<LinkArgument>();
        foreach (var link in links)
        {
            if (!Rookery.Config.HostNames.IsName(link.Address))
            {
                resolved.Add(link);
                continue;
            }

            var key = Rookery.Config.NodeConfig.RingKey(link.Link);
            if (Rookery.Config.HostNames.Choose(context.Resolve(link.Address), ipVersion) is not { } chosen)
            {
                errors.Add($"link{link.Link}: {Rookery.Config.HostNames.Unresolvable(key, link.Address, "", ipVersion)}");
                continue;
            }

            context.Output.WriteLine($"link{link.Link}: '{link.Address}' resolves to {chosen} (totem.ip_version {ipVersion}); writing {key}: {chosen}");
            resolved.Add(link with { Address = chosen.ToString() });
        }

        return resolved;
    }

    /// <summary>Ours (pvecm misses it): one node using one address on two links has no redundancy; refused.</summary>
    public static void CheckOwnAddresses(IReadOnlyList<LinkArgument> links, List<string> errors)
    {
        foreach (var link in links)
        {
            if (links.FirstOrDefault(l => l.Link < link.Link && SameAddress(l.Address, link.Address)) is { } twin)
            {
                errors.Add($"address '{link.Address}' given for link {twin.Link} and link {link.Link}: every link needs its own address");
            }
        }
    }

    private static bool SameAddress(string a, string b) =>
        IPAddress.TryParse(a, out var x) && IPAddress.TryParse(b, out var y) ? x.Equals(y) : string.Equals(a, b, StringComparison.OrdinalIgnoreCase);

    /// <summary>An IPv4/IPv6 literal or a DNS name (pve-common: <c>pve_verify_address</c>).</summary>
    public static bool IsAddress(string text) =>
        (IPAddress.TryParse(text, out _) && !text.Contains('%') && (text.Contains(':') || text.Count(c => c == '.') == 3))
        || (text.Length <= 253 && DnsName().IsMatch(text) && !text.All(c => char.IsAsciiDigit(c) || c == '.'));

    /// <summary>pvecm's node and cluster name rule (format <c>pve-node</c>).</summary>
    public static bool IsNodeName(string text) => NodeName().IsMatch(text);

    [GeneratedRegex(@"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9\-]*[a-zA-Z0-9])?)(?:\.(?:[a-zA-Z0-9](?:[a-zA-Z0-9\-]*[a-zA-Z0-9])?))*$")]
    private static partial Regex DnsName();

    [GeneratedRegex(@"^(?:[a-zA-Z0-9](?:[a-zA-Z0-9\-]*[a-zA-Z0-9])?)$")]
    private static partial Regex NodeName();
}
