using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Rookery.Integration.Tests.Testbed;

namespace Rookery.Integration.Tests.CorosyncIpc;

/// <summary>
/// Goal: Debian's unmodified Pacemaker 2.1.5 runs on a Rookery cluster as it runs on corosync: it connects through
/// libcfg (shutdown tracking), libcmap (node names, uidgid.gid for hacluster), libquorum and libcpg (its daemons'
/// messages, totem-ordered, and membership); crm_mon shows every node online and a DC, crm_node reports quorum and the
/// node list, and a resource moves when the node that runs it leaves.
/// Method: three <c>rookery daemon</c> processes in testbed namespaces; on each, <c>pacemakerd -f</c> with its own
/// files (<see cref="PacemakerNode"/>); Pacemaker's own tools read the cluster; the node running ocf:pacemaker:Dummy
/// has its Rookery daemon stopped (SIGTERM, as <c>systemctl stop</c> does).
/// Root only, Pacemaker installed (test.sh installs it); skipped with the reason otherwise.
/// </summary>
[Collection(TestbedCollection.Name)]
public sealed partial class PacemakerTests : IDisposable
{
    /// <summary>Pacemaker's election (dc-deadtime 20 s) and its daemons' start on a loaded 2-core machine.</summary>
    private static readonly TimeSpan PacemakerFormation = TimeSpan.FromSeconds(180);

    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("rookery-pcmk-");

    public void Dispose() => _root.Delete(recursive: true);

    [Fact]
    public async Task PacemakerSeesThreeNodesOnlineAndQuorumAndMovesADummyResourceWhenItsNodeStops()
    {
        CorosyncIpcTests.SkipUnlessAvailable();
        if (PacemakerNode.UnavailableReason is { } reason)
        {
            Assert.Skip(reason);
        }

        using var testbed = NetnsTestbed.Create(nodes: 3, links: 1);
        var daemons = new List<IpcDaemon>();
        var pacemakers = new List<PacemakerNode>();
        try
        {
            foreach (var node in new[] { 1, 2, 3 })
            {
                var daemon = new IpcDaemon(testbed, node, Path.Combine(_root.FullName, $"n{node}"), Config(3), $"node{node}");
                daemon.Start();
                daemons.Add(daemon);
            }

            await CorosyncIpcTests.WaitForAsync(daemons[0], output => output.Contains("Nodes:            3", StringComparison.Ordinal));
            foreach (var node in new[] { 1, 2, 3 })
            {
                var pacemaker = new PacemakerNode(testbed, node, Path.Combine(_root.FullName, $"pcmk{node}"));
                pacemaker.Start();
                pacemakers.Add(pacemaker);
            }

            // Every node online, one DC, a partition with quorum: as crm_mon prints it against corosync.
            var status = await WaitForMonAsync(pacemakers[0], daemons, mon =>
                mon.Contains("* Online: [ node1 node2 node3 ]", StringComparison.Ordinal) && DesignatedController().IsMatch(mon));
            TestContext.Current.TestOutputHelper?.WriteLine($"crm_mon -1 on node 1:\n{status}");
            foreach (var pacemaker in pacemakers)
            {
                Assert.Equal("1\n", Check(pacemaker, "crm_node", "-q"));
                Assert.Equal($"node{pacemaker.Node}\n", Check(pacemaker, "crm_node", "-n"));
                Assert.Equal("1 node1 member\n2 node2 member\n3 node3 member\n", Check(pacemaker, "crm_node", "-l"));
            }

            // The cluster's name comes from cmap's totem.cluster_name.
            Assert.Equal("pcmktest\n", Check(pacemakers[0], "crm_attribute", "--type", "crm_config", "--name", "cluster-name", "--query", "--quiet"));

            Check(pacemakers[0], "crm_attribute", "--type", "crm_config", "--name", "stonith-enabled", "--update", "false");
            Check(pacemakers[0], "cibadmin", "--create", "--scope", "resources", "--xml-text",
                "<primitive id=\"dummy\" class=\"ocf\" provider=\"pacemaker\" type=\"Dummy\"><operations><op id=\"dummy-monitor\" name=\"monitor\" interval=\"5s\"/></operations></primitive>");
            status = await WaitForMonAsync(pacemakers[0], daemons, mon => DummyStarted().IsMatch(mon));
            var first = int.Parse(DummyStarted().Match(status).Groups[1].Value, CultureInfo.InvariantCulture);

            // The Rookery daemon of the node running the resource stops: the two others stay quorate and take it over.
            await daemons[first - 1].StopAsync();
            var survivor = pacemakers.First(p => p.Node != first);
            status = await WaitForMonAsync(survivor, daemons, mon =>
                mon.Contains($"* OFFLINE: [ node{first} ]", StringComparison.Ordinal)
                && DummyStarted().Match(mon) is { Success: true } started && started.Groups[1].Value != first.ToString(CultureInfo.InvariantCulture));
            TestContext.Current.TestOutputHelper?.WriteLine($"crm_mon -1 on node {survivor.Node} after node {first}'s daemon stopped:\n{status}");
            Assert.Contains("partition with quorum", status, StringComparison.Ordinal);
            Assert.Equal("1\n", Check(survivor, "crm_node", "-q"));
            Assert.Contains($"{first} node{first} lost\n", Check(survivor, "crm_node", "-l"), StringComparison.Ordinal);
        }
        finally
        {
            foreach (var pacemaker in pacemakers)
            {
                await pacemaker.StopAsync();
            }

            foreach (var daemon in daemons)
            {
                await daemon.StopAsync();
            }
        }

        foreach (var daemon in daemons)
        {
            Assert.Empty(IpcDaemon.RingDirectories(daemon.Pid));
        }
    }

    /// <summary>A corosync.conf for <paramref name="nodes"/> testbed nodes on link 0, with votequorum.</summary>
    internal static string Config(int nodes, string quorumExtra = "")
    {
        var text = new StringBuilder("""
            totem {
                version: 2
                cluster_name: pcmktest
                config_version: 1
                transport: knet
                crypto_cipher: none
                crypto_hash: none
            }
            nodelist {

            """);
        for (var node = 1; node <= nodes; node++)
        {
            text.Append(CultureInfo.InvariantCulture, $"    node {{\n        nodeid: {node}\n        name: node{node}\n        ring0_addr: {NetnsTestbed.Address(node, 0)}\n    }}\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"}}\nquorum {{\n    provider: corosync_votequorum\n{quorumExtra}}}\nlogging {{\n    to_syslog: no\n    to_stderr: yes\n}}\n");
        return text.ToString();
    }

    private static string Check(PacemakerNode pacemaker, string tool, params string[] arguments)
    {
        var result = pacemaker.Tool(tool, arguments);
        Assert.True(result.Succeeded, $"`{result.CommandLine}` exited {result.ExitCode}: {result.StandardError}{result.StandardOutput}\n--- pacemakerd:\n{Tail(pacemaker.Log())}");
        return result.StandardOutput;
    }

    /// <summary>Polls <c>crm_mon -1</c> on one node until <paramref name="condition"/> holds; the last output and the logs on failure.</summary>
    private static async Task<string> WaitForMonAsync(PacemakerNode pacemaker, List<IpcDaemon> daemons, Func<string, bool> condition)
    {
        var last = string.Empty;
        var ok = await Eventually.TrueAsync(
            () =>
            {
                last = pacemaker.Tool("crm_mon", "-1").StandardOutput;
                return condition(last);
            },
            PacemakerFormation,
            TimeSpan.FromMilliseconds(500));
        Assert.True(ok, $"crm_mon -1 on node {pacemaker.Node} never showed the expected state; last:\n{last}\n--- pacemakerd:\n{Tail(pacemaker.Log())}\n"
            + string.Join('\n', daemons.Select(d => $"--- daemon {d.Node}:\n{Tail(d.Log())}")));
        return last;
    }

    private static string Tail(string log) => string.Join('\n', log.Split('\n').TakeLast(30));

    [GeneratedRegex(@"Current DC: node\d \(version [^)]+\) - partition with quorum")]
    private static partial Regex DesignatedController();

    [GeneratedRegex(@"dummy\s+\(ocf:pacemaker:Dummy\):\s+Started node(\d)")]
    private static partial Regex DummyStarted();
}
