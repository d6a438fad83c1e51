using System.Diagnostics;
using System.Globalization;
using Rookery.Integration.Tests.Testbed;

namespace Rookery.Integration.Tests.Procedure;

/// <summary>
/// The seed's three-node cluster (uno, due, tre = node ids 1..3) on the namespace testbed: link 0 = 10.10.10.N,
/// link 1 = 10.20.20.N, one <c>rookery daemon</c> per namespace with its own configuration directory, state
/// directory, control socket and log under one temporary directory. Disposing stops the daemons, removes the
/// testbed and the directory, whatever happened.
/// </summary>
public sealed class ProcedureCluster : IAsyncDisposable
{
    public const string ClusterName = "testcluster";
    public static readonly string[] Names = ["uno", "due", "tre"];
    public static readonly int[] AllNodes = [1, 2, 3];
    public static readonly TimeSpan FormationTimeout = TimeSpan.FromSeconds(60);
    private readonly Dictionary<int, Process> _daemons = [];

    private ProcedureCluster(NetnsTestbed testbed, string root)
    {
        Testbed = testbed;
        Root = root;
    }

    public NetnsTestbed Testbed { get; }

    public string Root { get; }

    public static string Name(int node) => Names[node - 1];

    public static string Address(int node, int link) => NetnsTestbed.Address(node, link).ToString();

    public string ConfigDir(int node) => Path.Combine(Root, $"node{node}", "etc");

    public string ConfigFile(int node) => Path.Combine(ConfigDir(node), "corosync.conf");

    public string StateDir(int node) => Path.Combine(Root, $"node{node}", "state");

    public string Socket(int node) => Path.Combine(Root, $"node{node}", "rookery.sock");

    public string LogFile(int node) => Path.Combine(Root, $"node{node}", "daemon.log");

    /// <summary>The environment that points a <c>rookery</c> command at node <paramref name="node"/>.</summary>
    public IReadOnlyDictionary<string, string> On(int node) => new Dictionary<string, string>
    {
        ["ROOKERY_SOCKET"] = Socket(node),
        ["ROOKERY_CONFIG_DIR"] = ConfigDir(node),
    };

    /// <summary>
    /// Builds the testbed and writes the configuration the way the seed does: <c>rookery create testcluster
    /// CREATE…</c> on node 1, then <c>rookery addnode</c> for due and tre with <paramref name="addNode"/>(node)'s
    /// arguments; every node gets a copy of the file and the key.
    /// </summary>
    public static async Task<ProcedureCluster> CreateAsync(string[] create, Func<int, string[]> addNode)
    {
        var root = Directory.CreateTempSubdirectory("rookery-procedure-").FullName;
        var testbed = NetnsTestbed.Create(nodes: 3, links: 2);
        var cluster = new ProcedureCluster(testbed, root);
        try
        {
            var shared = Path.Combine(root, "cluster");
            await RookeryBinary.CheckAsync(["create", ClusterName, "--nodeid", "1", "--node", Name(1), .. create, "--config-dir", shared]);
            foreach (var node in AllNodes.Skip(1))
            {
                await RookeryBinary.CheckAsync(["addnode", Name(node), "--nodeid", node.ToString(CultureInfo.InvariantCulture), .. addNode(node), "--config-dir", shared]);
            }

            foreach (var node in AllNodes)
            {
                Directory.CreateDirectory(cluster.ConfigDir(node));
                Directory.CreateDirectory(cluster.StateDir(node));
                foreach (var file in Directory.GetFiles(shared))
                {
                    File.Copy(file, Path.Combine(cluster.ConfigDir(node), Path.GetFileName(file)));
                }
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>The testbed and one empty directory per node: the test writes (or joins) every file itself.</summary>
    public static ProcedureCluster CreateBare()
    {
        var root = Directory.CreateTempSubdirectory("rookery-procedure-").FullName;
        var cluster = new ProcedureCluster(NetnsTestbed.Create(nodes: 3, links: 2), root);
        foreach (var node in AllNodes)
        {
            Directory.CreateDirectory(cluster.StateDir(node));
        }

        return cluster;
    }

    /// <summary>Runs <c>rookery ARGS</c> inside node <paramref name="node"/>'s namespace (its addresses are local there).</summary>
    public RookeryResult RunIn(int node, params string[] arguments)
    {
        var result = Testbed.Exec(node, "dotnet", [RookeryBinary.Dll, .. arguments]);
        return new RookeryResult($"[node {node}] rookery {string.Join(' ', arguments)}", result.ExitCode, result.StandardOutput, result.StandardError);
    }

    /// <summary>The seed's cluster: <c>--link0 10.10.10.1,priority=15 --link1 10.20.20.1,priority=20</c>.</summary>
    public static Task<ProcedureCluster> CreateSeedAsync() => CreateAsync(
        ["--link0", $"{Address(1, 0)},priority=15", "--link1", $"{Address(1, 1)},priority=20"],
        node => ["--link0", Address(node, 0), "--link1", Address(node, 1)]);

    /// <summary>Starts <c>rookery daemon</c> in every node's namespace.</summary>
    public void StartDaemons(params int[] nodes)
    {
        foreach (var node in nodes.Length == 0 ? AllNodes : nodes)
        {
            _daemons[node] = Testbed.Start(node, "dotnet",
                [RookeryBinary.Dll, "daemon", "--config-dir", ConfigDir(node), "--state-dir", StateDir(node), "--socket", Socket(node), "--node", Name(node)],
                LogFile(node));
        }
    }

    /// <summary>How long the ring must stay the same after start-up before a test takes it as its reference.</summary>
    public static readonly TimeSpan SettleTime = TimeSpan.FromSeconds(3);

    /// <summary>Starts the daemons and waits until all three are quorate members of one ring that stays the same for <see cref="SettleTime"/>.</summary>
    public async Task<ClusterView> StartAndFormAsync()
    {
        StartDaemons();
        string? ring = null;
        var since = Stopwatch.StartNew();
        return await WaitAsync(
            v =>
            {
                var now = v.AllQuorateWith(AllNodes, AllNodes) ? v[1].RingId : null;
                if (now != ring)
                {
                    ring = now;
                    since.Restart();
                }

                return ring is not null && since.Elapsed >= SettleTime;
            },
            FormationTimeout, $"three nodes quorate in one ring that stays the same for {SettleTime.TotalSeconds} s");
    }

    /// <summary><c>rookery status --json</c> of one node (exit 0 quorate, 2 not quorate).</summary>
    public async Task<NodeView> StatusAsync(int node) =>
        new(node, await RookeryBinary.JsonAsync(["status", "--json"], On(node), 2));

    /// <summary><c>rookery status --json</c> of several nodes at once.</summary>
    public async Task<ClusterView> ViewAsync(params int[] nodes)
    {
        var views = await Task.WhenAll((nodes.Length == 0 ? AllNodes : nodes).Select(StatusAsync));
        return new ClusterView(views);
    }

    /// <summary>Polls <c>status --json</c> of <paramref name="nodes"/> until <paramref name="condition"/> holds; fails with the last view, the daemon logs' tails and <paramref name="what"/>.</summary>
    public async Task<ClusterView> WaitAsync(Func<ClusterView, bool> condition, TimeSpan timeout, string what, params int[] nodes)
    {
        var clock = Stopwatch.StartNew();
        ClusterView? last = null;
        while (clock.Elapsed < timeout)
        {
            AssertDaemonsRunning();
            try
            {
                last = await ViewAsync(nodes);
                if (condition(last))
                {
                    return last;
                }
            }
            catch (Xunit.Sdk.XunitException) when (clock.Elapsed < timeout)
            {
                // A node not answering yet (still starting): poll again.
            }

            await Task.Delay(100, TestContext.Current.CancellationToken);
        }

        Assert.Fail($"not within {timeout.TotalSeconds:0} s: {what}\nlast view:\n{last}\n{LogTails()}");
        throw new InvalidOperationException();
    }

    /// <summary>A daemon that exited is a failure of the test, with its log.</summary>
    public void AssertDaemonsRunning()
    {
        foreach (var (node, process) in _daemons)
        {
            Assert.False(process.HasExited, $"rookery daemon of node {node} exited with code {(process.HasExited ? process.ExitCode : 0)}\n{LogTails()}");
        }
    }

    /// <summary>Stops one node's daemon (SIGKILL via the testbed's process handle).</summary>
    public async Task StopDaemonAsync(int node)
    {
        if (_daemons.Remove(node, out var process) && !process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);
        }
    }

    public string Log(int node)
    {
        try
        {
            using var stream = new FileStream(LogFile(node), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return new StreamReader(stream).ReadToEnd();
        }
        catch (IOException)
        {
            return "";
        }
    }

    public string LogTails() =>
        string.Join('\n', AllNodes.Select(n => $"--- node {n} daemon log (last 20 lines):\n" + string.Join('\n', Log(n).Split('\n').TakeLast(20))));

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _daemons.Keys.ToArray())
        {
            try
            {
                await StopDaemonAsync(node);
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }
        }

        await Testbed.DisposeAsync();
        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }
}
