namespace Rookery.Integration.Tests.CorosyncCompat;

/// <summary>
/// Files written by <c>rookery create</c> and <c>rookery addnode</c> are accepted by Debian's
/// corosync 3.1.7, and deliberately broken files are rejected by both corosync and
/// <c>rookery config check</c> with the same reason. Root only; skipped with the reason otherwise.
/// </summary>
public sealed class CorosyncCompatTests : IDisposable
{
    private static readonly string[][] NodeAddresses =
    [
        ["10.10.10.1", "10.20.20.1"],
        ["10.10.10.2", "10.20.20.2"],
        ["10.10.10.3", "10.20.20.3"],
    ];

    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("rookery-compat-");

    private string ConfigDir => Path.Combine(_root.FullName, "etc");

    private string ConfigFile => Path.Combine(ConfigDir, "corosync.conf");

    public static TheoryData<string, string, string, string> BrokenFiles => new()
    {
        { "wrong version", "  version: 2\n", "  version: 3\n", "This totem parser can only parse version 2 configurations." },
        { "duplicate nodeid", "    nodeid: 3\n", "    nodeid: 2\n", "Nodeid 2 appears twice in corosync.conf" },
        { "nodeid too large", "    nodeid: 3\n", "    nodeid: 70000\n", "Knet requires nodeid to be less than 65536 for address '10.10.10.3'." },
        { "missing nodeid", "    nodeid: 3\n", string.Empty, "Knet requires an explicit nodeid to be specified for address '10.10.10.3'." },
        { "missing name with two links", "    name: pve3\n", string.Empty, "for a multi-link configuration, all nodes must have a 'name' attribute" },
        { "mixed families on a link", "    ring1_addr: 10.20.20.3\n", "    ring1_addr: fd00::3\n", "Nodes for link 1 have different IP families (compared fd00::3 with 10.20.20.1)" },
        { "missing link on one node", "    ring1_addr: 10.20.20.3\n", string.Empty, "Not all nodes have the same number of links" },
        { "token below the floor", "  version: 2\n", "  version: 2\n  token: 10\n  token_coefficient: 0\n", "The token timeout parameter (10 ms) may not be less than (30 ms)." },
        { "consensus below join", "  version: 2\n", "  version: 2\n  join: 500\n  consensus: 400\n", "The consensus timeout parameter (400 ms) may not be less than join timeout (500 ms)." },
        { "bad link mode", "  link_mode: passive\n", "  link_mode: fastest\n", "The Knet link mode \"fastest\" specified is invalid.  It must be active, passive or rr." },
        { "cipher without hash", "  version: 2\n", "  version: 2\n  crypto_cipher: aes256\n  crypto_hash: none\n", "crypto_cipher requires crypto_hash with value other than none" },
        { "link number 8", "    linknumber: 1\n", "    linknumber: 8\n    knet_link_priority: 5\n", "interface ring number 8 is bigger than allowed maximum 7" },
        { "token not a number", "  version: 2\n", "  version: 2\n  token: soon\n", "Value of key \"totem.token\" is expected to be integer in range (0..4294967295), but \"soon\" was given" },
        { "missing closing brace", "quorum {\n  provider: corosync_votequorum\n}\n", "quorum {\n  provider: corosync_votequorum\n", "Missing closing brace" },
        { "bad logging value", "  to_syslog: yes\n", "  to_syslog: maybe\n", "unknown value for to_syslog" },
        { "text outside key/value", "  version: 2\n", "  version: 2\n  secauth on\n", "Line is not opening or closing section or key value" },
    };

    public static TheoryData<string, string, string> OddButValidFiles => new()
    {
        { "token below the floor but scaled by three nodes", "  version: 2\n", "  version: 2\n  token: 10\n" },
        { "priority 0 (treated as 1)", "    linknumber: 1\n", "    linknumber: 1\n    knet_link_priority: 0\n" },
        { "section names with a colon, comments and blank lines", "totem {\n", "# a comment\n\n   # indented comment\ntotem: {\n" },
        { "a repeated totem section", "quorum {\n", "totem {\n  token: 5000\n}\n\nquorum {\n" },
        { "a '}' and spaces inside a value", "  cluster_name: CLUSTERNAME\n", "  cluster_name: CLUSTERNAME\n  x_note: a } b\n" },
        { "IPv6 addresses (colons in values) on link 1", "ring1_addr: 10.20.20.", "ring1_addr: fd00::" },
        { "CRLF line endings", "\n", "\r\n" },
    };

    /// <summary>Files corosync -t accepts and rookery config check refuses, on purpose (docs/config.md lists why).</summary>
    public static TheoryData<string, string, string, string> StricterOnPurpose => new()
    {
        { "interface block with only linknumber 8", "    linknumber: 1\n", "    linknumber: 8\n", "interface ring number 8 is bigger than allowed maximum 7" },
        { "one address on two nodes", "    ring1_addr: 10.20.20.3\n", "    ring1_addr: 10.20.20.2\n", "address '10.20.20.2' already used on link ring1_addr by node 'pve2'" },
        { "two nodes with one name", "    name: pve3\n", "    name: pve2\n", "node name 'pve2' appears twice in the nodelist" },
        { "two_node with a quorum device", "  provider: corosync_votequorum\n", "  provider: corosync_votequorum\n  two_node: 1\n  device {\n    model: net\n    votes: 1\n  }\n", "configuration error: two_node and quorum device cannot be configured at the same time!" },
    };

    [Fact]
    public void FilesWrittenByCreateAndAddnodeAreAcceptedByCorosyncOnEveryNode()
    {
        SkipUnlessAvailable();
        Must(Testbed.Rookery(NodeAddresses[0], "create", "CLUSTERNAME", "--link0", "10.10.10.1,priority=15", "--link1", "10.20.20.1,priority=20", "--node", "pve1", "--config-dir", ConfigDir));
        AcceptedBy(0, "pve1");

        File.WriteAllText(ConfigFile, "# edited by hand: rookery keeps this line\n" + File.ReadAllText(ConfigFile));
        Must(Testbed.Rookery(NodeAddresses[1], "addnode", "pve2", "--link0", "10.10.10.2", "--link1", "10.20.20.2", "--config-dir", ConfigDir));
        Must(Testbed.Rookery(NodeAddresses[2], "addnode", "pve3", "--link0", "10.10.10.3", "--link1", "10.20.20.3", "--config-dir", ConfigDir));
        Assert.StartsWith("# edited by hand", File.ReadAllText(ConfigFile), StringComparison.Ordinal);
        AcceptedBy(0, "pve1");
        AcceptedBy(1, "pve2");
        AcceptedBy(2, "pve3");
    }

    [Theory]
    [MemberData(nameof(BrokenFiles))]
    public void BrokenFilesAreRejectedByCorosyncAndByConfigCheckForTheSameReason(string what, string find, string replace, string reason)
    {
        var (corosync, rookery) = CheckMutated(what, find, replace);

        Assert.True(corosync.Exit != 0, $"{what}: corosync accepted it:\n{corosync.Output}");
        Assert.True(corosync.Output.Contains(reason, StringComparison.Ordinal), $"{what}: corosync said:\n{corosync.Output}");
        Assert.Equal(8, rookery.Exit);
        Assert.True(rookery.Error.Contains(reason, StringComparison.Ordinal), $"{what}: rookery said:\n{rookery.Error}");
    }

    [Theory]
    [MemberData(nameof(OddButValidFiles))]
    public void OddButValidFilesAreAcceptedByBoth(string what, string find, string replace)
    {
        SkipUnlessAvailable();
        WriteThreeNodeCluster();
        var text = File.ReadAllText(ConfigFile);
        Assert.True(text.Contains(find, StringComparison.Ordinal), $"{what}: '{find}' not in\n{text}");
        File.WriteAllText(ConfigFile, text.Replace(find, replace, StringComparison.Ordinal));

        var corosync = Testbed.CorosyncCheck(ConfigDir, ConfigFile, NodeAddresses[0]);
        var rookery = Testbed.Rookery(NodeAddresses[0], "config", "check", ConfigFile);

        Assert.True(corosync.Exit == 0, $"{what}: corosync refused it:\n{corosync.Output}");
        Assert.True(rookery.Exit == 0, $"{what}: rookery refused it:\n{rookery.Error}");
    }

    [Theory]
    [MemberData(nameof(StricterOnPurpose))]
    public void SomeFilesCorosyncAcceptsAreRefusedOnPurpose(string what, string find, string replace, string reason)
    {
        var (corosync, rookery) = CheckMutated(what, find, replace);

        Assert.True(corosync.Exit == 0, $"{what}: corosync -t refuses it too (update docs/config.md):\n{corosync.Output}");
        Assert.Equal(8, rookery.Exit);
        Assert.True(rookery.Error.Contains(reason, StringComparison.Ordinal), $"{what}: rookery said:\n{rookery.Error}");
    }

    public void Dispose() => _root.Delete(recursive: true);

    private static void SkipUnlessAvailable()
    {
        if (Testbed.SkipReason() is { } reason)
        {
            Assert.Skip(reason);
        }
    }

    private static void Must((int Exit, string Output, string Error) result) => Assert.True(result.Exit == 0, result.Error);

    /// <summary>Writes the three-node cluster, replaces the last <paramref name="find"/> with <paramref name="replace"/>, and checks the file with both.</summary>
    private ((int Exit, string Output) Corosync, (int Exit, string Output, string Error) Rookery) CheckMutated(string what, string find, string replace)
    {
        SkipUnlessAvailable();
        WriteThreeNodeCluster();
        var text = File.ReadAllText(ConfigFile);
        var at = text.LastIndexOf(find, StringComparison.Ordinal);
        Assert.True(at >= 0, $"{what}: '{find}' not in\n{text}");
        File.WriteAllText(ConfigFile, text[..at] + replace + text[(at + find.Length)..]);
        return (Testbed.CorosyncCheck(ConfigDir, ConfigFile, NodeAddresses[0]), Testbed.Rookery(NodeAddresses[0], "config", "check", ConfigFile));
    }

    private void WriteThreeNodeCluster()
    {
        Must(Testbed.Rookery(NodeAddresses[0], "create", "CLUSTERNAME", "--link0", "10.10.10.1", "--link1", "10.20.20.1", "--node", "pve1", "--config-dir", ConfigDir));
        Must(Testbed.Rookery(NodeAddresses[0], "addnode", "pve2", "--link0", "10.10.10.2", "--link1", "10.20.20.2", "--config-dir", ConfigDir));
        Must(Testbed.Rookery(NodeAddresses[0], "addnode", "pve3", "--link0", "10.10.10.3", "--link1", "10.20.20.3", "--config-dir", ConfigDir));
        var corosync = Testbed.CorosyncCheck(ConfigDir, ConfigFile, NodeAddresses[0]);
        Assert.True(corosync.Exit == 0, "the unbroken file must be valid first:\n" + corosync.Output);
    }

    private void AcceptedBy(int node, string name)
    {
        var corosync = Testbed.CorosyncCheck(ConfigDir, ConfigFile, NodeAddresses[node]);
        Assert.True(corosync.Exit == 0, $"corosync -t as {name} refused:\n{corosync.Output}\n{File.ReadAllText(ConfigFile)}");
        var rookery = Testbed.Rookery(NodeAddresses[node], "config", "check", ConfigFile);
        Assert.True(rookery.Exit == 0, rookery.Error);
        Assert.Equal(string.Empty, rookery.Error);
    }
}
