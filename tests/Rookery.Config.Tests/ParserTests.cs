namespace Rookery.Config.Tests;

/// <summary>The grammar of corosync's parser (exec/coroparse.c) and every one of its messages.</summary>
public sealed class ParserTests
{
    public static TheoryData<string, string> ParseErrors => new()
    {
        { "totem {\n" + new string('x', 520) + ": y\n}\n", "parser error: f.conf:2: Line too long" },
        { "{\n}\n", "parser error: f.conf:1: Missing section name before opening bracket '{'" },
        { "totem { version: 2\n}\n", "parser error: f.conf:1: Extra characters after opening bracket '{'" },
        { "totem {\n  : 2\n}\n", "parser error: f.conf:2: Key name can't be empty" },
        { "totem {\n  version: 2 }\n}\n", "parser error: f.conf:2: Value of key \"totem.version\" is expected to be integer in range (0..4294967295), but \"2 }\" was given" },
        { "totem {\n  } x\n", "parser error: f.conf:2: Extra characters before or after closing bracket '}'" },
        { "}\n", "parser error: f.conf:1: Unexpected closing brace" },
        { "totem {\n  version 2\n}\n", "parser error: f.conf:2: Line is not opening or closing section or key value" },
        { "totem {\n  version: 2\n", "parser error: f.conf:2: Missing closing brace" },
        { "a {\n" + new string('b', 253) + " {\n}\n}\n", "parser error: f.conf:2: Start of section makes total cmap path too long" },
        { "abc {\n" + new string('k', 251) + ": v\n}\n", "parser error: f.conf:2: New key makes total cmap path too long" },
        { "uidgid {\n  sub {\n  }\n}\n", "parser error: f.conf:2: Subsections are not allowed within uidgid section" },
        { "totem {\n interface {\n  member {\n   x {\n   }\n  }\n }\n}\n", "parser error: f.conf:4: Subsections are not allowed within totem.interface.member section" },
        { "totem {\n  token: abc\n}\n", "parser error: f.conf:2: Value of key \"totem.token\" is expected to be integer in range (0..4294967295), but \"abc\" was given" },
        { "totem {\n  token: -1\n}\n", "parser error: f.conf:2: Value of key \"totem.token\" is expected to be integer in range (0..4294967295), but \"-1\" was given" },
        { "totem {\n  knet_compression_level: 1x\n}\n", "parser error: f.conf:2: Value of key \"totem.knet_compression_level\" is expected to be integer in range (-2147483648..2147483647), but \"1x\" was given" },
        { "totem {\n  config_version: v1\n}\n", "parser error: f.conf:2: Value of key \"totem.config_version\" is expected to be unsigned integer, but \"v1\" was given" },
        { "totem {\n  ip_dscp: 64\n}\n", "parser error: f.conf:2: Value of key \"totem.ip_dscp\" is expected to be number (0..63) or symbolical dscp value, but \"64\" was given" },
        { "totem {\n  ip_version: ipv5\n}\n", "parser error: f.conf:2: Invalid ip_version type" },
        { "totem {\n  crypto_cipher: bogus\n}\n", "parser error: f.conf:2: Invalid cipher type. Should be none, aes256, aes192 or aes128" },
        { "totem {\n  crypto_hash: bogus\n}\n", "parser error: f.conf:2: Invalid hash type. Should be none, md5, sha1, sha256, sha384 or sha512" },
        { "totem {\n  crypto_model: bogus\n}\n", "parser error: f.conf:2: Invalid crypto model. Should be nss or openssl" },
        { "totem {\n  knet_compression_model: bogus\n}\n", "parser error: f.conf:2: Invalid compression model. Should be none, zlib, lz4, lz4hc, lzo2, lzma, bzip2 or zstd" },
        { "totem {\n  interface {\n    linknumber: 256\n  }\n}\n", "parser error: f.conf:3: Value of key \"totem.interface.linknumber\" is expected to be integer in range (0..255), but \"256\" was given" },
        { "totem {\n  interface {\n    knet_link_priority: 300\n  }\n}\n", "parser error: f.conf:3: Value of key \"totem.interface.knet_link_priority\" is expected to be integer in range (0..255), but \"300\" was given" },
        { "totem {\n  interface {\n    mcastport: 70000\n  }\n}\n", "parser error: f.conf:3: Value of key \"totem.interface.mcastport\" is expected to be integer in range (0..65535), but \"70000\" was given" },
        { "nodelist {\n  node {\n    nodeid: 1\n  }\n  node {\n    nodeid: two\n  }\n}\n", "parser error: f.conf:6: Value of key \"nodelist.node.1.nodeid\" is expected to be integer in range (0..4294967295), but \"two\" was given" },
        { "quorum {\n  two_node: 2x\n}\n", "parser error: f.conf:2: Value of key \"quorum.two_node\" is expected to be integer in range (0..255), but \"2x\" was given" },
        { "quorum {\n  device {\n    votes: x\n  }\n}\n", "parser error: f.conf:3: Value of key \"quorum.device.votes\" is expected to be integer in range (0..4294967295), but \"x\" was given" },
        { "system {\n  sched_rr: maybe\n}\n", "parser error: f.conf:2: Invalid system.sched_rr value" },
        { "system {\n  qb_ipc_type: pipe\n}\n", "parser error: f.conf:2: Invalid system.qb_ipc_type" },
        { "system {\n  move_to_root_cgroup: 1\n}\n", "parser error: f.conf:2: Invalid system.move_to_root_cgroup" },
        { "system {\n  allow_knet_handle_fallback: 1\n}\n", "parser error: f.conf:2: Invalid system.allow_knet_handle_fallback" },
        { "resources {\n  watchdog_timeout: soon\n}\n", "parser error: f.conf:2: Value of key \"resources.watchdog_timeout\" is expected to be integer in range (0..4294967295), but \"soon\" was given" },
        { "logging {\n  logger_subsys {\n    debug: on\n  }\n}\n", "parser error: f.conf:4: No subsys key in logger_subsys directive" },
        { "totem {\n  to*ken: 1\n}\n", "parser error: f.conf:2: Can't store key \"totem.to*ken\" into icmap, returned error is CS_ERR_NAME_TOO_LONG" },
        { "totem {\n  cluster_name: a{b\n}\n", "parser error: f.conf:2: Extra characters after opening bracket '{'" },
    };

    [Theory]
    [MemberData(nameof(ParseErrors))]
    public void EveryParseErrorHasCorosyncsWording(string text, string expected)
    {
        var result = ConfigLoader.Parse(text, "f.conf");

        Assert.Contains(expected, result.Errors.Select(e => e.ToString()));
        Assert.False(result.Parsed);
    }

    [Fact]
    public void EveryErrorOfAFileIsReportedNotJustTheFirst()
    {
        var result = ConfigLoader.Parse("totem {\n  token: x\n  join: y\n  nonsense\n}\n}\n", "f.conf");

        Assert.Equal([2, 3, 4, 6], result.Errors.Select(e => e.Line));
    }

    [Fact]
    public void LinesOf510BytesAreAcceptedAnd511AreNot()
    {
        var ok = "totem {\n  cluster_name: " + new string('c', 510 - 16) + "\n}\n";
        var tooLong = "totem {\n  cluster_name: " + new string('c', 511 - 16) + "\n}\n";

        Assert.True(ConfigLoader.Parse(ok, "f").Parsed);
        Assert.Equal("Line too long", Assert.Single(ConfigLoader.Parse(tooLong, "f").Errors).Message);
    }

    [Fact]
    public void CrlfCommentsBlankLinesAndWhitespaceAreHandledLikeCorosync()
    {
        var text = "# comment\r\n\r\n   \t# indented comment\r\ntotem\t{\r\n\tversion:\t2 \t\r\n  cluster_name: two words here\u00A0\r\n}\r\n";
        var result = ConfigLoader.Parse(text, "f");

        Assert.True(result.Parsed, Fixture.Describe(result.Diagnostics));
        Assert.Equal(2u, result.Config.Totem.Version);
        Assert.Equal("two words here", result.Config.Totem.ClusterName);
    }

    [Theory]
    [InlineData("totem: {", "totem")]
    [InlineData("totem{", "totem")]
    [InlineData("  interface:{", "interface")]
    [InlineData("totem :: {", "totem")]
    public void SectionNamesLoseTrailingColonsAndBraces(string header, string name)
    {
        var result = ConfigLoader.Parse(header + "\n}\n", "f");

        Assert.Equal(name, Assert.Single(result.Document.Root.Sections).Name);
    }

    [Fact]
    public void ValuesKeepColonsSpacesAndHashesBecauseOnlyWholeLineCommentsExist()
    {
        var text = "nodelist {\n  node {\n    ring0_addr: fd00::1:2\n    name: a # not a comment\n  }\n}\n";
        var node = ConfigLoader.Parse(text, "f").Config.Nodes[0];

        Assert.Equal("fd00::1:2", node.Address(0));
        Assert.Equal("a # not a comment", node.Name);
    }

    [Fact]
    public void EmptyValuesAreAllowed()
    {
        var result = ConfigLoader.Parse("totem {\n  cluster_name:\n}\n", "f");

        Assert.True(result.Parsed);
        Assert.Equal(string.Empty, result.Config.Totem.ClusterName);
    }

    [Fact]
    public void RepeatedSectionsMergeAndTheLastValueOfAKeyWins()
    {
        var text = "totem {\n  token: 1000\n  version: 2\n}\ntotem {\n  token: 2000\n}\nquorum {\n  provider: x\n}\nquorum {\n  provider: corosync_votequorum\n}\n";
        var config = ConfigLoader.Parse(text, "f").Config;

        Assert.Equal(2000u, config.Totem.Token);
        Assert.Equal(2u, config.Totem.Version);
        Assert.Equal(6, config.Totem.Keys.LineOf("token"));
        Assert.True(config.Quorum.IsVotequorum);
    }

    [Fact]
    public void ASecondNodelistRestartsNumberingAndOverwritesTheFirstOnesNodes()
    {
        var text = "nodelist {\n  node {\n    nodeid: 1\n    name: a\n  }\n  node {\n    nodeid: 2\n  }\n}\nnodelist {\n  node {\n    nodeid: 3\n  }\n}\n";
        var nodes = ConfigLoader.Parse(text, "f").Config.Nodes;

        Assert.Equal(2, nodes.Count);
        Assert.Equal((3u, "a"), (nodes[0].NodeId!.Value, nodes[0].Name));
        Assert.Equal(2u, nodes[1].NodeId);
    }

    [Fact]
    public void InterfaceBlocksAreKeyedByLinknumberAndMerged()
    {
        var text = "totem {\n  interface {\n    linknumber: 1\n    knet_link_priority: 5\n  }\n  interface {\n    knet_link_priority: 7\n  }\n  interface {\n    linknumber: 1\n    mcastport: 6000\n  }\n}\n";
        var faces = ConfigLoader.Parse(text, "f").Config.Totem.Interfaces;

        Assert.Equal([0, 1], faces.Select(f => (int)f.LinkNumber));
        Assert.Equal(7, faces[0].Priority);
        Assert.Equal((5, (ushort)6000), (faces[1].Priority, faces[1].McastPort));
    }

    [Fact]
    public void IntegersAreDecimalWithOptionalSignLikeStrtoll()
    {
        var config = ConfigLoader.Parse("totem {\n  token: +0050\n  ip_dscp: 0x2e\n}\n", "f");

        Assert.True(config.Parsed, Fixture.Describe(config.Diagnostics));
        Assert.Equal(50u, config.Config.Totem.Token);
        Assert.False(ConfigLoader.Parse("totem {\n  token: 0x10\n}\n", "f").Parsed);
        Assert.True(ConfigLoader.Parse("totem {\n  ip_dscp: ef\n}\n", "f").Parsed);
    }

    [Fact]
    public void LoggerSubsysBlocksAreKeyedBySubsys()
    {
        var text = "logging {\n  debug: off\n  logger_subsys {\n    subsys: KNET\n    debug: on\n  }\n}\n";
        var logging = ConfigLoader.Parse(text, "f").Config.Logging;

        Assert.Equal("on", logging.DebugFor("KNET"));
        Assert.Equal("off", logging.DebugFor("TOTEM"));
    }

    [Fact]
    public void NulBytesAreHandledLikeFgetsAndStrlen()
    {
        Assert.True(ConfigLoader.Parse("\0ignored\ntotem {\n}\n", "f").Parsed);
        Assert.Equal("Line too long", ConfigLoader.Parse("totem {\0\n}\n", "f").Errors.First().Message);
    }
}
