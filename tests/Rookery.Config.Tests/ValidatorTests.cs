using System.Net;

namespace Rookery.Config.Tests;

/// <summary>Every validation message (corosync's load-time rules, votequorum's, logconfig's, pvecm's verify_conf and ours).</summary>
public sealed class ValidatorTests
{
    private const string Quorum = "provider: corosync_votequorum";

    public static TheoryData<string, string> Errors => new()
    {
        { Build(totem: "version: 3"), "This totem parser can only parse version 2 configurations." },
        { "nodelist {\n  node {\n    nodeid: 1\n    ring0_addr: 10.10.10.1\n  }\n}\n", "no totem found" },
        { Build(totem: "transport: udpu"), "Invalid transport type. Should be knet" },
        { Build(totem: "link_mode: fastest"), "The Knet link mode \"fastest\" specified is invalid.  It must be active, passive or rr." },
        { Build(links: 1, totem: "interface {\n    linknumber: 8\n  }"), "parse error in config: interface ring number 8 is bigger than allowed maximum 7" },
        { Build(links: 1, node1: "ring9_addr: 10.90.90.1"), "parse error in config: interface ring number 9 is bigger than allowed maximum 7" },
        { Build(links: 1, totem: "interface {\n    mcastport: 0\n  }"), "No multicast port specified for interface 0" },
        { Build(links: 1, totem: "interface {\n    ttl: 2\n  }"), "Can only set ttl on multicast transport types for interface 0" },
        { Build(links: 1, totem: "interface {\n    knet_transport: sctp\n  }"), "Unrecognised knet_transport. only 'udp' is supported" },
        { Build(links: 0), "No interfaces defined" },
        { "totem {\n  version: 2\n  secauth: on\n}\nnodelist {\n}\n", "no nodes found" },
        { Build(node1Id: null), "Knet requires an explicit nodeid to be specified for address '10.10.10.1'." },
        { Build(node1Id: "0"), "Knet requires an explicit nodeid to be specified for address '10.10.10.1'." },
        { Build(node1Id: "65536"), "Knet requires nodeid to be less than 65536 for address '10.10.10.1'." },
        { Build(node1Id: "2"), "Nodeid 2 appears twice in corosync.conf" },
        { Build(node1Name: "n2"), "node name 'n2' appears twice in the nodelist" },
        { Build(node1Name: null), "for a multi-link configuration, all nodes must have a 'name' attribute" },
        { Build(links: 2, node2Drop: "ring1_addr"), "Not all nodes have the same number of links" },
        { Build(links: 2, node2Drop: "ring1_addr"), "node 'n2' is missing address for interface number 1" },
        { Build(links: 2, interfaces: false, node2Drop: "ring1_addr"), "node 'n2' is missing link 1, which is configured on other nodes" },
        { Build(links: 2, totem: "interface {\n    linknumber: 0\n  }", interfaces: false), "node 'n1' has 'ring1_addr', but there is no interface number 1 configured" },
        { Build(links: 1, node2Address: "fd00::2"), "Nodes for link 0 have different IP families (compared fd00::2 with 10.10.10.1)" },
        { Build(links: 1, node2Address: "10.10.10.1"), "address '10.10.10.1' already used on link ring0_addr by node 'n1'" },
        { Build(totem: "token: 20"), "The token timeout parameter (20 ms) may not be less than (30 ms)." },
        { Build(totem: "max_network_delay: 10"), "The max_network_delay parameter (10 ms) may not be less than (30 ms)." },
        { Build(totem: "token_warning: 101"), "The token warning parameter (101%) must be between 0 (disabled) and 100." },
        { Build(totem: "token_retransmit: 20"), "The token retransmit timeout parameter (20 ms) may not be less than (30 ms)." },
        { Build(totem: "token_retransmits_before_loss_const: 1000"), "Not appropriate token or token_retransmits_before_loss_const value set" },
        { Build(totem: "hold: 10"), "The token hold timeout parameter (10 ms) may not be less than (14 ms)." },
        { Build(totem: "join: 20"), "The join timeout parameter (20 ms) may not be less than (30 ms)." },
        { Build(totem: "consensus: 20"), "The consensus timeout parameter (20 ms) may not be less than (30 ms)." },
        { Build(totem: "join: 500\n  consensus: 400"), "The consensus timeout parameter (400 ms) may not be less than join timeout (500 ms)." },
        { Build(totem: "merge: 10"), "The merge timeout parameter (10 ms) may not be less than (30 ms)." },
        { Build(totem: "downcheck: 10"), "The downcheck timeout parameter (10 ms) may not be less than (30 ms)." },
        { Build(totem: "crypto_cipher: aes256\n  crypto_hash: none"), "crypto_cipher requires crypto_hash with value other than none" },
        { Build(quorum: "provider: corosync_ykd"), "Quorum provider: corosync_ykd failed to initialize." },
        { "totem {\n  version: 2\n  secauth: on\n}\nquorum {\n  provider: corosync_votequorum\n}\n", "configuration error: nodelist or quorum.expected_votes must be configured!" },
        { Build(quorum: $"{Quorum}\n  two_node: 1\n  device {{\n    model: net\n  }}"), "configuration error: two_node and quorum device cannot be configured at the same time!" },
        { Build(nodes: 3, quorum: $"{Quorum}\n  auto_tie_breaker: 1\n  last_man_standing: 1"), "configuration error: auto_tie_breaker & last_man_standing not available in odd sized cluster" },
        { Build(quorum: $"{Quorum}\n  last_man_standing: 1\n  device {{\n    model: net\n    votes: 1\n  }}"), "configuration error: quorum.device is not compatible with last_man_standing" },
        { Build(quorum: $"{Quorum}\n  auto_tie_breaker: 1\n  device {{\n    model: net\n    votes: 1\n  }}"), "configuration error: quorum.device is not compatible with auto_tie_breaker" },
        { Build(quorum: $"{Quorum}\n  allow_downscale: 1\n  device {{\n    model: net\n    votes: 1\n  }}"), "configuration error: quorum.device is not compatible with allow_downscale" },
        { Build(quorum: $"{Quorum}\n  expected_votes: 5\n  device {{\n    model: net\n  }}"), "configuration error: quorum.device.votes must be specified when quorum.expected_votes is set" },
        { Build(node1: "quorum_votes: 2", quorum: $"{Quorum}\n  device {{\n    model: net\n  }}"), "configuration error: quorum.device.votes must be specified when not all nodes votes 1" },
        { Build(quorum: $"{Quorum}\n  expected_votes: 3\n  device {{\n    model: net\n    votes: 2\n  }}"), "configuration error: quorum.device.votes is too high or expected_votes is too low" },
        { Build(logging: "to_syslog: maybe"), "unknown value for to_syslog" },
        { Build(logging: "to_stderr: 1"), "unknown value for to_stderr" },
        { Build(logging: "to_logfile: x"), "unknown value for to_logfile" },
        { Build(logging: "debug: loud"), "unknown value for debug" },
        { Build(logging: "timestamp: always"), "unknown value for timestamp" },
        { Build(logging: "fileline: yes"), "unknown value for fileline" },
        { Build(logging: "function_name: 1"), "unknown value for function_name" },
        { Build(logging: "blackbox: 1"), "unknown value for blackbox" },
        { Build(logging: "syslog_facility: local9"), "unknown syslog facility specified" },
        { Build(logging: "syslog_priority: chatty"), "unknown syslog priority specified" },
        { Build(logging: "logfile_priority: chatty"), "unknown logfile priority specified" },
        { Build(logging: "logger_subsys {\n    subsys: KNET\n    debug: maybe\n  }"), "unknown value for debug" },
    };

    public static TheoryData<string, string> Warnings => new()
    {
        { Build(totem: "nodeid: 4"), "nodeid in totem section is deprecated and ignored. Nodelist (or autogenerated) nodeid is going to be used." },
        { Build(links: 1, totem: "interface {\n    bindnetaddr: 10.10.10.0\n  }"), "interface section bindnetaddr is used together with nodelist. Nodelist one is going to be used." },
        { Build(secure: false), "authentication/encryption is not explicitly enabled (secauth / crypto_cipher / crypto_hash)" },
        { Build(links: 1, node2Address: "n2.example.org"), "ring0_addr 'n2.example.org' for node 'n2' is not an IP address; the daemon resolves it when it starts (totem.ip_version ipv6-4), and a name can resolve differently later" },
        { Build(links: 2, node1: "ring1_addr: 10.10.10.1", node1Drop: "ring1_addr"), "node 'n1' uses address '10.10.10.1' on link 0 and link 1; the links are not redundant" },
        { Build(quorum: $"{Quorum}\n  two_node: 1\n  auto_tie_breaker: 1"), "two_node and auto_tie_breaker are both specified but are not compatible. two_node has been disabled, please fix your corosync.conf" },
        { Build(nodes: 3, quorum: $"{Quorum}\n  auto_tie_breaker: 1"), "auto_tie_breaker is set and the cluster has an odd number of nodes. wait_for_all needs to be set for this configuration but it is missing. Therefore auto_tie_breaker has been disabled. Please fix your corosync.conf" },
        { Build(quorum: $"{Quorum}\n  auto_tie_breaker_node: highest"), "auto_tie_breaker_node: is meaningless if auto_tie_breaker is set to 0" },
    };

    [Fact]
    public void TheBaseFileIsValid()
    {
        var result = ConfigLoader.Load(Build(), "f.conf");

        Assert.Empty(result.Diagnostics);
    }

    [Theory]
    [MemberData(nameof(Errors))]
    public void EveryErrorHasItsMessage(string text, string message)
    {
        var result = ConfigLoader.Load(text, "f.conf");

        Assert.True(result.Parsed, Fixture.Describe(result.Diagnostics));
        Assert.Contains(message, result.Errors.Select(e => e.Message));
    }

    [Theory]
    [MemberData(nameof(Warnings))]
    public void EveryWarningHasItsMessageAndIsNotAnError(string text, string message)
    {
        var result = ConfigLoader.Load(text, "f.conf");

        Assert.Contains(message, result.Warnings.Select(e => e.Message));
        Assert.DoesNotContain(message, result.Errors.Select(e => e.Message));
    }

    [Fact]
    public void AllErrorsAreReportedAtOnceWithTheirLines()
    {
        var text = Build(totem: "token: 20\n  join: 20\n  link_mode: x", node1Id: "70000");
        var errors = ConfigLoader.Load(text, "f.conf").Errors.ToList();

        Assert.True(errors.Count >= 4, Fixture.Describe(errors));
        var token = errors.Single(e => e.Message.StartsWith("The token timeout", StringComparison.Ordinal));
        var line = text.Split('\n').ToList().FindIndex(l => l.Contains("token: 20", StringComparison.Ordinal)) + 1;
        Assert.Equal($"f.conf:{line}: The token timeout parameter (20 ms) may not be less than (30 ms).", token.ToString());
    }

    [Fact]
    public void Rookerys_link_timer_keys_are_checked_by_config_check_at_their_line()
    {
        var text = Build().Replace("linknumber: 1", "linknumber: 1\n    link_down_timeout: 40\n    link_hedging: maybe", StringComparison.Ordinal);
        var errors = ConfigLoader.Load(text, "f.conf").Errors.Select(e => e.ToString()).ToList();
        var lines = text.Split('\n').ToList();
        var down = lines.FindIndex(l => l.Contains("link_down_timeout", StringComparison.Ordinal)) + 1;
        var hedging = lines.FindIndex(l => l.Contains("link_hedging", StringComparison.Ordinal)) + 1;

        Assert.Contains($"f.conf:{down}: interface 1: link_down_timeout: 40 ms must be at least twice link_ping_interval ({Defaults.LinkPingIntervalMs} ms)", errors);
        Assert.Contains($"f.conf:{hedging}: interface 1: link_hedging: 'maybe' must be yes or no", errors);
        Assert.Empty(ConfigLoader.Load(Build().Replace("linknumber: 1", "linknumber: 1\n    link_ping_interval: 50\n    link_down_timeout: 400", StringComparison.Ordinal), "f.conf").Errors);
    }

    [Fact]
    public void LocalNodeRulesDependOnWhatTheCallerAsks()
    {
        var text = Build();
        var elsewhere = new ValidationOptions { CheckLocalNode = true, HostName = "other" };

        Assert.Equal(
            "No valid name found for local host (this file is not for this machine, or its addresses are not up here)",
            Assert.Single(ConfigLoader.Load(text, "f", elsewhere).Warnings).Message);
        Assert.Equal(
            "parse error in config: No valid name found for local host",
            Assert.Single(ConfigLoader.Load(text, "f", elsewhere with { LocalNodeRequired = true }).Errors).Message);
        Assert.Equal(
            "node 'n9' is not in the nodelist",
            Assert.Single(ConfigLoader.Load(text, "f", new ValidationOptions { LocalNodeName = "n9" }).Errors).Message);
        Assert.Empty(ConfigLoader.Load(text, "f", elsewhere with { LocalAddresses = [IPAddress.Parse("10.20.20.2")] }).Diagnostics);
    }

    /// <summary>A valid file (2 nodes, 2 links, secauth on) with the changes a test needs.</summary>
    internal static string Build(
        int nodes = 2,
        int links = 2,
        string totem = "",
        bool interfaces = true,
        bool secure = true,
        string? node1Id = "1",
        string? node1Name = "n1",
        string node1 = "",
        string? node1Drop = null,
        string? node2Drop = null,
        string? node2Address = null,
        string quorum = Quorum,
        string logging = "to_syslog: yes")
    {
        var blocks = new List<string>();
        for (var i = 1; i <= nodes; i++)
        {
            var lines = new List<string>();
            if (i > 1 || node1Name is not null)
            {
                lines.Add($"name: {(i == 1 ? node1Name : $"n{i}")}");
            }

            if (i > 1 || node1Id is not null)
            {
                lines.Add($"nodeid: {(i == 1 ? node1Id : i)}");
            }

            for (var l = 0; l < links; l++)
            {
                var address = i == 2 && l == 0 && node2Address is not null ? node2Address : $"10.{l + 1}0.{l + 1}0.{i}";
                lines.Add($"ring{l}_addr: {address}");
            }

            if (i == 1 && node1.Length > 0)
            {
                lines.Add(node1);
            }

            var drop = i == 1 ? node1Drop : i == 2 ? node2Drop : null;
            if (drop is not null)
            {
                var index = lines.FindIndex(x => x.StartsWith(drop + ":", StringComparison.Ordinal));
                lines.RemoveAt(index);
            }

            blocks.Add("  node {\n" + string.Concat(lines.Select(x => $"    {x}\n")) + "  }\n");
        }

        var faces = interfaces ? string.Concat(Enumerable.Range(0, links).Select(l => $"  interface {{\n    linknumber: {l}\n  }}\n")) : string.Empty;
        var totemBody = $"  version: 2\n  cluster_name: c\n{(secure ? "  secauth: on\n" : string.Empty)}  {totem}\n{faces}";
        return $"logging {{\n  {logging}\n}}\n\nnodelist {{\n{string.Concat(blocks)}}}\n\nquorum {{\n  {quorum}\n}}\n\ntotem {{\n{totemBody}}}\n";
    }
}

/// <summary>
/// Goal: corosync's address choice for a host name in ringX_addr (totemip_parse) for every ip_version, and the loader
/// applying it so everything after sees the address the daemon uses.
/// Method: <see cref="HostNames"/> and <see cref="ConfigLoader.Load"/> with a resolver table.
/// </summary>
public sealed class HostNameTests
{
    private static readonly IPAddress V4a = IPAddress.Parse("192.0.2.1");
    private static readonly IPAddress V4b = IPAddress.Parse("192.0.2.2");
    private static readonly IPAddress V6a = IPAddress.Parse("2001:db8::1");
    private static readonly IPAddress V6b = IPAddress.Parse("2001:db8::2");

    [Theory]
    [InlineData("ipv4", "192.0.2.1")]
    [InlineData("ipv6", "2001:db8::1")]
    [InlineData("ipv6-4", "2001:db8::1")]
    [InlineData("ipv4-6", "192.0.2.1")]
    public void TheFirstAddressOfThePreferredFamilyWins(string ipVersion, string expected)
    {
        Assert.Equal(IPAddress.Parse(expected), HostNames.Choose([V4a, V6a, V4b, V6b], ipVersion));
        Assert.Equal(IPAddress.Parse(expected), HostNames.Choose([V6a, V4a, V6b, V4b], ipVersion));
    }

    [Fact]
    public void AFamilyThatIsMissingFallsBackOnlyWhereIpVersionAllows()
    {
        Assert.Null(HostNames.Choose([V4a], "ipv6"));
        Assert.Null(HostNames.Choose([V6a], "ipv4"));
        Assert.Equal(V4a, HostNames.Choose([V4a], "ipv6-4"));
        Assert.Equal(V6a, HostNames.Choose([V6a], "ipv4-6"));
        Assert.Null(HostNames.Choose([], "ipv6-4"));
    }

    [Fact]
    public void TheLoaderReplacesNamesKeepsLinesAndReportsTheChoice()
    {
        var text = "totem {\n  version: 2\n  cluster_name: c\n  ip_version: ipv4\n}\nnodelist {\n  node {\n    name: a\n    nodeid: 1\n    ring0_addr: host-a\n  }\n}\nquorum {\n  provider: corosync_votequorum\n}\n";
        var options = new ValidationOptions { Resolve = name => name == "host-a" ? [V6a, V4b] : [] };

        var loaded = ConfigLoader.Load(text, "c.conf", options);

        Assert.Equal("192.0.2.2", loaded.Config.Nodes.Single().Address(0));
        var warning = Assert.Single(loaded.Diagnostics, d => d.Message.Contains("host-a", StringComparison.Ordinal));
        Assert.Equal(10, warning.Line);
        Assert.False(warning.IsError);

        var failed = ConfigLoader.Load(text.Replace("host-a", "host-b", StringComparison.Ordinal), "c.conf", options);
        var error = Assert.Single(failed.Errors, d => d.Message.Contains("host-b", StringComparison.Ordinal));
        Assert.Equal("ring0_addr 'host-b' for node 'a' does not resolve to an IPv4 address (totem.ip_version ipv4): fix the name (DNS, /etc/hosts) or write the IP address instead", error.Message);
    }
}
