using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Rookery.Integration.Tests.Testbed;

namespace Rookery.Integration.Tests.Procedure;

/// <summary>
/// Goal: issue 13's "Done when": a cluster built over the network and its corosync.conf edited once for all.
/// create on node 1 with link 0 only; a wrong fingerprint and a wrong secret are refused with nothing changed;
/// nodes 2 and 3 join with link 0 only; every node quorate with 3 members and identical files; the seed's link add
/// as one <c>rookery config apply</c> on node 2 brings link 1 up between every pair within 5 s with no membership
/// change, and <c>rookery events --json</c> on node 3 shows it; a node stopped during an edit gets the file on start.
/// Method: the real <c>rookery</c> program in three network namespaces (one bridge per link), commands run where an
/// admin would run them (join inside the new node's namespace), outcomes read from files, status and events.
/// Root only (skipped with the reason otherwise).
/// </summary>
[Collection(TestbedCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class JoinProcedureTests
{
    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static readonly TimeSpan s_formation = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan s_linkUp = TimeSpan.FromSeconds(5);

    [Fact]
    public async Task Create_join_two_nodes_over_the_network_then_add_link_1_with_one_config_apply()
    {
        NetnsTestbedTests.SkipUnlessAvailable();
        await using var cluster = ProcedureCluster.CreateBare();
        var log = new List<string>();
        RookeryResult Check(RookeryResult result, int code = 0)
        {
            log.Add(result.ToString());
            Assert.True(result.ExitCode == code, string.Join("\n", log) + "\n" + cluster.LogTails());
            return result;
        }

        Check(await RookeryBinary.RunAsync(["create", ProcedureCluster.ClusterName, "--nodeid", "1", "--node", "uno", "--link0", ProcedureCluster.Address(1, 0), "--config-dir", cluster.ConfigDir(1)]));
        cluster.StartDaemons(1);
        await cluster.WaitAsync(v => v.AllQuorateWith([1], 1), s_formation, "node 1 quorate alone", 1);
        var info = Check(await RookeryBinary.RunAsync(["join-info", "--node", "uno"], cluster.On(1))).Output.Trim().Split('\n')[^1];

        // Refused before anything changes: a wrong fingerprint, then a wrong secret.
        var decoded = JsonDocument.Parse(Convert.FromBase64String(info)).RootElement;
        var fingerprint = decoded.GetProperty("fingerprint").GetString()!;
        var badFingerprint = Reencode(info, "fingerprint", (fingerprint[0] == 'A' ? "B" : "A") + fingerprint[1..]);
        var wrongFingerprint = Check(cluster.RunIn(2, "join", "--info", badFingerprint, "--link0", ProcedureCluster.Address(2, 0), "--node", "due", "--config-dir", cluster.ConfigDir(2), "--no-start"), 1);
        Assert.Contains("fingerprint mismatch", wrongFingerprint.Error, StringComparison.Ordinal);
        var wrongSecret = Check(cluster.RunIn(2, "join", "--info", Reencode(info, "secret", "00000000000000000000000000000000"), "--link0", ProcedureCluster.Address(2, 0), "--node", "due", "--config-dir", cluster.ConfigDir(2), "--no-start"), 1);
        Assert.Contains("wrong join secret", wrongSecret.Error, StringComparison.Ordinal);
        Assert.False(Directory.Exists(cluster.ConfigDir(2)) && Directory.EnumerateFileSystemEntries(cluster.ConfigDir(2)).Any(), "a refused join wrote files");
        Assert.Contains("config_version: 1\n", await File.ReadAllTextAsync(cluster.ConfigFile(1), Token), StringComparison.Ordinal);

        // Nodes 2 and 3 join with link 0 only, each started once it has its files.
        foreach (var (node, name) in new[] { (2, "due"), (3, "tre") })
        {
            var join = Check(cluster.RunIn(node, "join", "--info", info, "--link0", ProcedureCluster.Address(node, 0), "--node", name, "--config-dir", cluster.ConfigDir(node), "--no-start"));
            Assert.Contains($"successfully added node '{name}' to cluster", join.Output, StringComparison.Ordinal);
            Assert.Equal(UnixFileMode.UserRead, File.GetUnixFileMode(Path.Combine(cluster.ConfigDir(node), "authkey")));
            cluster.StartDaemons(node);
            var members = Enumerable.Range(1, node).ToArray();
            await cluster.WaitAsync(v => v.AllQuorateWith(members, members), s_formation, $"nodes 1..{node} quorate together", members);
        }

        var formed = await cluster.ViewAsync();
        var ring = formed[1].RingId;
        var file = await File.ReadAllTextAsync(cluster.ConfigFile(1), Token);
        foreach (var node in ProcedureCluster.AllNodes)
        {
            Assert.Equal(file, await File.ReadAllTextAsync(cluster.ConfigFile(node), Token));
        }

        // rookery events --json on node 3, then the seed's link add as one config apply on node 2.
        var eventsFile = Path.Combine(cluster.Root, "events-node3.jsonl");
        var events = cluster.Testbed.Start(3, "dotnet", [RookeryBinary.Dll, "events", "--json", "--socket", cluster.Socket(3)], eventsFile);
        Assert.True(await Eventually.TrueAsync(() => ReadShared(eventsFile).Contains("\"initial\":true", StringComparison.Ordinal), s_formation), "no events from node 3");
        var edited = AddLink1(await File.ReadAllTextAsync(cluster.ConfigFile(2), Token));
        var editFile = Path.Combine(cluster.Root, "corosync.conf.link1");
        await File.WriteAllTextAsync(editFile, edited, Token);
        var clock = Stopwatch.StartNew();
        var apply = Check(cluster.RunIn(2, "config", "apply", editFile, "--socket", cluster.Socket(2)));
        var connected = await cluster.WaitAsync(
            v => ProcedureCluster.AllNodes.All(a => ProcedureCluster.AllNodes.Where(b => b != a).All(b => v[a].Link(b, 1)?.Connected == true)),
            s_linkUp + TimeSpan.FromSeconds(10), "link 1 connected between every pair");
        var elapsed = clock.Elapsed;
        Assert.True(elapsed <= s_linkUp + TimeSpan.FromSeconds(1), $"link 1 took {elapsed.TotalSeconds:0.0} s (config apply included) to connect every pair\n{apply}");
        Assert.All(connected.Nodes, n => Assert.Equal(ring, n.RingId));
        foreach (var node in ProcedureCluster.AllNodes)
        {
            Assert.Equal(edited, await File.ReadAllTextAsync(cluster.ConfigFile(node), Token));
        }

        Assert.True(await Eventually.TrueAsync(() => ReadShared(eventsFile).Contains("\"type\":\"config\",", StringComparison.Ordinal)
            && Regex.IsMatch(ReadShared(eventsFile), "\"type\":\"link\",[^\\n]*\"nodeid\":1,[^\\n]*\"link\":1,\"state\":\"up\"")
            && Regex.IsMatch(ReadShared(eventsFile), "\"type\":\"link\",[^\\n]*\"nodeid\":2,[^\\n]*\"link\":1,\"state\":\"up\""), TimeSpan.FromSeconds(10)),
            "events of node 3:\n" + ReadShared(eventsFile));
        events.Kill(entireProcessTree: true);

        // Node 1 is stopped while node 2 applies the next edit; on start it gets the newest file before it serves.
        await cluster.StopDaemonAsync(1);
        await cluster.WaitAsync(v => v.AllQuorateWith([2, 3], 2, 3), s_formation, "nodes 2 and 3 without node 1", 2, 3);
        var next = Bump(edited);
        await File.WriteAllTextAsync(editFile, next, Token);
        var whileDown = Check(cluster.RunIn(2, "config", "apply", editFile, "--socket", cluster.Socket(2)));
        Assert.Contains("node 1 (uno): unreachable", whileDown.Output, StringComparison.Ordinal);
        cluster.StartDaemons(1);
        await cluster.WaitAsync(v => v.AllQuorateWith(ProcedureCluster.AllNodes, ProcedureCluster.AllNodes), s_formation, "node 1 back with the newest file");
        Assert.Equal(next, await File.ReadAllTextAsync(cluster.ConfigFile(1), Token));
        TestContext.Current.TestOutputHelper?.WriteLine(string.Join("\n", log) + $"\nlink 1 connected everywhere {elapsed.TotalMilliseconds:0} ms after config apply started\n--- events of node 3:\n" + ReadShared(eventsFile));
    }

    /// <summary>The seed's edit: ring1_addr for every node (10.20.20.N), an interface for link 1, config_version + 1.</summary>
    private static string AddLink1(string text)
    {
        var withAddresses = Regex.Replace(text, @"(?m)^(\s*)ring0_addr: 10\.10\.10\.(\d+)\n", "$0$1ring1_addr: 10.20.20.$2\n");
        var withInterface = Regex.Replace(withAddresses, @"(?m)^(\s*)interface \{\n\s*linknumber: 0\n\s*\}\n", match => match.Value + match.Value.Replace("linknumber: 0", "linknumber: 1", StringComparison.Ordinal));
        Assert.NotEqual(withAddresses, withInterface);
        return Bump(withInterface);
    }

    private static string Bump(string text) =>
        Regex.Replace(text, @"config_version: (\d+)", m => "config_version: " + (ulong.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) + 1).ToString(CultureInfo.InvariantCulture));

    private static string Reencode(string info, string field, string value)
    {
        var json = System.Text.Json.Nodes.JsonNode.Parse(Convert.FromBase64String(info))!;
        json[field] = value;
        return Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(json.ToJsonString()));
    }

    private static string ReadShared(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return new StreamReader(stream).ReadToEnd();
        }
        catch (IOException)
        {
            return "";
        }
    }
}
