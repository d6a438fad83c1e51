using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Rookery.Cli.Demo;

/// <summary>One node of the demo cluster: its files under the demo's temporary directory and its daemon.</summary>
public sealed class DemoNode(int id, string name, string directory)
{
    public int Id { get; } = id;

    public string Name { get; } = name;

    public string ConfigDir { get; } = Path.Combine(directory, "etc");

    public string StateDir { get; } = Path.Combine(directory, "state");

    public string Socket { get; } = Path.Combine(directory, "rookery.sock");

    public string LogFile { get; } = Path.Combine(directory, "daemon.log");

    public Process? Daemon { get; internal set; }

    /// <summary>The demo stopped this node's daemon on purpose: its absence is part of the story, not a failure.</summary>
    public bool StoppedOnPurpose { get; internal set; }

    /// <summary>The environment that points a <c>rookery</c> command at this node.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string>
    {
        ["ROOKERY_SOCKET"] = Socket,
        ["ROOKERY_CONFIG_DIR"] = ConfigDir,
    };
}

/// <summary>
/// Three <c>rookery daemon</c> processes on loopback addresses, two links each (link 0 = 127.B.1.N priority 15,
/// link 1 = 127.B.2.N priority 20, as in the seed's <c>pvecm create</c>), each with its own configuration
/// directory, state directory and control socket under one temporary directory. Disposing stops every daemon
/// and removes the directory.
/// </summary>
public sealed class DemoCluster : IAsyncDisposable
{
    public const string ClusterName = "demo";
    public const int LinkCount = 2;
    public static readonly int[] Priorities = [15, 20];
    private static readonly string[] NodeNames = ["uno", "due", "tre"];
    private readonly List<TextWriter> _logs = [];
    private readonly List<(int Node, TimeSpan At, string Line)> _lines = [];

    private DemoCluster(string root, int subnet)
    {
        Root = root;
        Subnet = subnet;
        Nodes = [.. NodeNames.Select((name, index) => new DemoNode(index + 1, name, Path.Combine(root, $"node{index + 1}")))];
    }

    /// <summary>The temporary directory that holds everything the demo writes.</summary>
    public string Root { get; }

    /// <summary>B in 127.B.(link+1).N.</summary>
    public int Subnet { get; }

    public IReadOnlyList<DemoNode> Nodes { get; }

    /// <summary>The demo's clock: every line a daemon logs is stamped with it when it arrives (see <see cref="FirstLine"/>).</summary>
    public Func<TimeSpan> Clock { get; set; } = () => TimeSpan.Zero;

    /// <summary>One node's answer to <c>status</c>, or why there is none.</summary>
    public sealed record NodeView(DemoNode Node, Rookery.Control.ClusterStatus? Status, string? Error);

    public IPAddress Address(int node, int link) => IPAddress.Parse(string.Create(CultureInfo.InvariantCulture, $"127.{Subnet}.{link + 1}.{node}"));

    /// <summary>Writes the configuration with <c>rookery create</c> and <c>rookery addnode</c>, one copy per node.</summary>
    public static DemoCluster Create()
    {
        var root = Directory.CreateTempSubdirectory("rookery-demo-").FullName;
        var cluster = new DemoCluster(root, FreeSubnet());
        try
        {
            var shared = Path.Combine(root, "cluster");
            var first = cluster.Nodes[0];
            RunCommand(shared, [
                "create", ClusterName, "--nodeid", "1", "--node", first.Name,
                "--link0", $"{cluster.Address(1, 0)},priority={Priorities[0]}",
                "--link1", $"{cluster.Address(1, 1)},priority={Priorities[1]}",
            ]);
            foreach (var node in cluster.Nodes.Skip(1))
            {
                RunCommand(shared, [
                    "addnode", node.Name, "--nodeid", node.Id.ToString(CultureInfo.InvariantCulture),
                    "--link0", cluster.Address(node.Id, 0).ToString(), "--link1", cluster.Address(node.Id, 1).ToString(),
                ]);
            }

            foreach (var node in cluster.Nodes)
            {
                Directory.CreateDirectory(node.ConfigDir);
                Directory.CreateDirectory(node.StateDir);
                foreach (var file in Directory.GetFiles(shared))
                {
                    File.Copy(file, Path.Combine(node.ConfigDir, Path.GetFileName(file)));
                }
            }

            return cluster;
        }
        catch
        {
            Directory.Delete(root, recursive: true);
            throw;
        }
    }

    /// <summary>Starts <c>rookery daemon</c> for every node; each one's output goes to its <see cref="DemoNode.LogFile"/>.</summary>
    public void Start()
    {
        foreach (var node in Nodes)
        {
            StartNode(node);
        }
    }

    /// <summary>Starts (or restarts) one node's daemon with the same files; its log goes on in the same file.</summary>
    public void StartNode(DemoNode node)
    {
        var start = RookeryProcess.StartInfo(
            ["daemon", "--config-dir", node.ConfigDir, "--state-dir", node.StateDir, "--socket", node.Socket, "--node", node.Name],
            node.Environment);
        var log = TextWriter.Synchronized(new StreamWriter(node.LogFile, append: true) { AutoFlush = true });
        _logs.Add(log);
        node.Daemon?.Dispose();
        var process = Process.Start(start) ?? throw new CliException($"could not start rookery daemon for node {node.Name}");
        node.Daemon = process;
        node.StoppedOnPurpose = false;
        process.StandardInput.Close();
        process.OutputDataReceived += (_, e) => Logged(node, log, e.Data);
        process.ErrorDataReceived += (_, e) => Logged(node, log, e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
    }

    /// <summary>Kills one node's daemon with SIGKILL (no goodbye to the others, as a crash or a power cut) and waits for it to be gone.</summary>
    public async Task KillAsync(DemoNode node)
    {
        node.StoppedOnPurpose = true;
        node.Daemon!.Kill();
        await node.Daemon.WaitForExitAsync().ConfigureAwait(false);
    }

    /// <summary>When node <paramref name="node"/> first logged a line containing <paramref name="text"/> at or after <paramref name="since"/>; null if not yet.</summary>
    public TimeSpan? FirstLine(int node, string text, TimeSpan since)
    {
        lock (_lines)
        {
            return _lines.FirstOrDefault(l => l.Node == node && l.At >= since && l.Line.Contains(text, StringComparison.Ordinal)) is { Line: not null } found
                ? found.At
                : null;
        }
    }

    /// <summary>Nodes whose daemon has exited without the demo stopping it, with the last lines of its log.</summary>
    public IReadOnlyList<string> ExitedDaemons() =>
        [.. Nodes.Where(n => !n.StoppedOnPurpose && n.Daemon is { HasExited: true }).Select(n => $"node {n.Id} ({n.Name}): rookery daemon exited with code {n.Daemon!.ExitCode}\n{Tail(n.LogFile, 15)}")];

    /// <summary>The last <paramref name="lines"/> lines of a log, indented.</summary>
    public static string Tail(string path, int lines)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            using var reader = new StreamReader(stream);
            var all = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries);
            return string.Join('\n', all.TakeLast(lines).Select(l => "    " + l));
        }
        catch (IOException)
        {
            return "    (no log)";
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(Nodes.Where(n => n.Daemon is not null).Select(n => RookeryProcess.StopAsync(n.Daemon!))).ConfigureAwait(false);
        foreach (var node in Nodes)
        {
            node.Daemon?.Dispose();
        }

        foreach (var log in _logs)
        {
            await log.DisposeAsync().ConfigureAwait(false);
        }

        if (Directory.Exists(Root))
        {
            Directory.Delete(Root, recursive: true);
        }
    }

    private void Logged(DemoNode node, TextWriter log, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_lines)
        {
            _lines.Add((node.Id, Clock(), line));
        }

        try
        {
            log.WriteLine(line);
        }
        catch (ObjectDisposedException)
        {
            // The demo is ending; late output of a stopping daemon is dropped.
        }
    }

    /// <summary>Runs a <c>rookery</c> configuration command in this process, as the user would type it.</summary>
    private static void RunCommand(string configDir, string[] arguments)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var context = new CliContext { Output = output, Error = error };
        var exit = Program.Run([.. arguments, "--config-dir", configDir], context);
        if (exit != ExitCodes.Ok)
        {
            throw new CliException($"demo: 'rookery {string.Join(' ', arguments)}' failed (exit {exit}):\n{error}{output}");
        }
    }

    /// <summary>The first B for which every demo address and port (UDP 5405 + link) is free on this host.</summary>
    private static int FreeSubnet()
    {
        for (var subnet = 0; subnet < 256; subnet++)
        {
            if (Enumerable.Range(1, NodeNames.Length).All(node => Enumerable.Range(0, LinkCount).All(link => IsFree(subnet, node, link))))
            {
                return subnet;
            }
        }

        throw new CliException("demo: no free loopback address block 127.B.1-2.1-3 with UDP ports 5405-5406 free");
    }

    private static bool IsFree(int subnet, int node, int link)
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(IPAddress.Parse(string.Create(CultureInfo.InvariantCulture, $"127.{subnet}.{link + 1}.{node}")), 5405 + link));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
