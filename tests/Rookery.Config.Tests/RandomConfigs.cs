using System.Globalization;

namespace Rookery.Config.Tests;

/// <summary>Random but valid-to-parse models, built from a seed with the project's Prng.</summary>
internal static class RandomConfigs
{
    private static readonly string[] Words = ["alpha", "b:c", "x # y", "two words", "a}b", "fd00::1", "-", "v1.2"];

    public static CorosyncConfig Model(int nodeCount, int linkCount, ulong seed)
    {
        var prng = new Prng(seed);
        var links = Enumerable.Range(0, Limits.LinksMax).OrderBy(_ => prng.NextUInt64()).Take(linkCount).Order().ToList();
        var ipv6 = links.ToDictionary(l => l, _ => prng.Chance(Ratio.Percent(30)));
        var ids = Enumerable.Range(1, 200).OrderBy(_ => prng.NextUInt64()).Take(nodeCount).ToList();
        var nodes = new List<NodeConfig>();
        for (var i = 0; i < nodeCount; i++)
        {
            var keys = new List<KeyValue>
            {
                new("name", $"n{i:D2}"),
                new("nodeid", ids[i].ToString(CultureInfo.InvariantCulture)),
            };
            foreach (var link in links)
            {
                keys.Add(new(NodeConfig.RingKey(link), ipv6[link] ? $"fd0{link}::{i + 1}" : $"10.{link}.0.{i + 1}"));
            }

            Maybe(prng, keys, "quorum_votes", () => Number(prng, 1, 3));
            Maybe(prng, keys, "x_node_tag", () => Word(prng));
            nodes.Add(new NodeConfig(new KeyValues(keys)));
        }

        var totem = new List<KeyValue> { new("version", "2"), new("cluster_name", $"c{prng.NextBelow(1000)}") };
        Maybe(prng, totem, "config_version", () => prng.NextUInt64().ToString(CultureInfo.InvariantCulture));
        Maybe(prng, totem, "token", () => Number(prng, 30, 20000));
        Maybe(prng, totem, "token_coefficient", () => Number(prng, 0, 1000));
        Maybe(prng, totem, "join", () => Number(prng, 30, 100));
        Maybe(prng, totem, "merge", () => Number(prng, 30, 1000));
        Maybe(prng, totem, "ip_version", () => Pick(prng, ["ipv4", "ipv6", "ipv4-6", "ipv6-4"]));
        Maybe(prng, totem, "link_mode", () => Pick(prng, ["passive", "active", "rr"]));
        Maybe(prng, totem, "secauth", () => "on");
        Maybe(prng, totem, "crypto_hash", () => Pick(prng, ["sha1", "sha256", "sha512"]));
        Maybe(prng, totem, "knet_compression_model", () => Pick(prng, ["none", "zlib", "lz4"]));
        Maybe(prng, totem, "x_extension", () => Word(prng));
        var interfaces = new List<InterfaceConfig>();
        foreach (var link in links.Where(_ => prng.Chance(Ratio.Percent(80))))
        {
            var keys = new List<KeyValue>();
            Maybe(prng, keys, "knet_link_priority", () => Number(prng, 0, 255));
            Maybe(prng, keys, "knet_ping_interval", () => Number(prng, 100, 1000));
            Maybe(prng, keys, "knet_pong_count", () => Number(prng, 1, 5));
            Maybe(prng, keys, "x_link_detection", () => Word(prng));
            interfaces.Add(new InterfaceConfig((byte)link, new KeyValues(keys)));
        }

        var quorum = new List<KeyValue> { new("provider", "corosync_votequorum") };
        Maybe(prng, quorum, "two_node", () => "1");
        Maybe(prng, quorum, "expected_votes", () => Number(prng, 1, 9));
        if (prng.Chance(Ratio.Percent(20)))
        {
            quorum.Add(new("device.model", "net"));
            quorum.Add(new("device.net.host", "10.99.0.1"));
        }

        var logging = new List<KeyValue>();
        Maybe(prng, logging, "to_syslog", () => Pick(prng, ["yes", "no"]));
        Maybe(prng, logging, "debug", () => Pick(prng, ["on", "off"]));
        var subsystems = prng.Chance(Ratio.Percent(30))
            ? new List<LoggerSubsysConfig> { new("KNET", KeyValues.Of(("debug", "on"))) }
            : [];
        var other = new List<SectionConfig>();
        if (prng.Chance(Ratio.Percent(30)))
        {
            other.Add(new SectionConfig("system", KeyValues.Of(("state_dir", "/var/lib/x"))));
        }

        if (prng.Chance(Ratio.Percent(20)))
        {
            other.Add(new SectionConfig("nozzle", KeyValues.Of(("name", "noz0"), ("ipaddr", "192.168.0.1"))));
        }

        return new CorosyncConfig(
            new TotemConfig(true, new KeyValues(totem), interfaces),
            nodes,
            new QuorumConfig(true, new KeyValues(quorum)),
            new LoggingConfig(true, new KeyValues(logging), subsystems),
            other);
    }

    /// <summary>Adds whole-line comments and blank lines (indented or not, LF or CRLF) between the lines of a text.</summary>
    public static string Decorate(string text, ulong seed, bool crlf)
    {
        var prng = new Prng(seed);
        var lines = text.Split('\n')[..^1];
        var output = new List<string>();
        var counter = 0;
        foreach (var line in lines)
        {
            while (prng.Chance(Ratio.Percent(25)))
            {
                output.Add(prng.Chance(Ratio.Percent(50)) ? $"{new string(' ', (int)prng.NextBelow(6))}# note {counter++} : {{ keep }}" : string.Empty);
            }

            output.Add(line);
        }

        var newline = crlf ? "\r\n" : "\n";
        return string.Concat(output.Select(l => l + newline));
    }

    private static void Maybe(Prng prng, List<KeyValue> keys, string key, Func<string> value)
    {
        if (prng.Chance(Ratio.Percent(50)))
        {
            keys.Add(new KeyValue(key, value()));
        }
    }

    private static string Number(Prng prng, long min, long max) => prng.NextInRange(min, max).ToString(CultureInfo.InvariantCulture);

    private static string Pick(Prng prng, string[] choices) => choices[prng.NextBelow((ulong)choices.Length)];

    private static string Word(Prng prng) => Pick(prng, Words);
}
