using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Rookery.Integration.Tests.Testbed;

namespace Rookery.Integration.Tests.Knet;

/// <summary>Knobs of the generated corosync.conf (as baseline/corosync/gen-conf.sh).</summary>
public sealed record CorosyncOptions
{
    /// <summary><c>totem.token</c> in ms; null keeps corosync's default (3000).</summary>
    public int? TokenMilliseconds { get; init; }

    /// <summary><c>knet_link_priority</c> per link number (link 0 = 15, link 1 = 20 as in the baseline).</summary>
    public IReadOnlyList<int> LinkPriorities { get; init; } = [15, 20];

    /// <summary><c>totem.link_mode</c>.</summary>
    public string LinkMode { get; init; } = "passive";
}

/// <summary>
/// Real corosync 3.1.7 instances (Debian's package) on some nodes of a <see cref="NetnsTestbed"/>:
/// one config, state dir and log per node, a shared 256-byte authkey, secauth on (aes256 + sha256),
/// every node of the testbed in the nodelist. Each instance runs in its namespace with a private
/// <c>/run</c> (corosync hard-codes <c>/run/corosync.pid</c>), as baseline/corosync/start.sh does.
/// </summary>
public sealed partial class CorosyncCluster : IDisposable
{
    private readonly Dictionary<int, Process> _running = [];

    public CorosyncCluster(NetnsTestbed testbed, IEnumerable<int> corosyncNodes, string workDirectory, CorosyncOptions? options = null)
    {
        Testbed = testbed;
        CorosyncNodes = [.. corosyncNodes];
        WorkDirectory = workDirectory;
        Options = options ?? new CorosyncOptions();
        Directory.CreateDirectory(workDirectory);
        AuthKey = RandomNumberGenerator.GetBytes(256);
        AuthKeyPath = Path.Combine(workDirectory, "authkey");
        File.WriteAllBytes(AuthKeyPath, AuthKey);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(AuthKeyPath, UnixFileMode.UserRead);
        }
        foreach (var node in CorosyncNodes)
        {
            Directory.CreateDirectory(Path.Combine(NodeDirectory(node), "state"));
            Directory.CreateDirectory(Path.Combine(NodeDirectory(node), "run"));
            File.WriteAllText(ConfigPath(node), Config(node));
        }
    }

    /// <summary>Null when corosync and its tools can run here, otherwise why not.</summary>
    public static string? UnavailableReason =>
        NetnsTestbed.UnavailableReason
        ?? new[] { "corosync", "corosync-cfgtool", "unshare" }
            .Where(tool => !HostCommand.Exists(tool))
            .Select(tool => $"the corosync interop suite needs `{tool}` (apt-get install corosync util-linux)")
            .FirstOrDefault();

    public NetnsTestbed Testbed { get; }

    public IReadOnlyList<int> CorosyncNodes { get; }

    public string WorkDirectory { get; }

    public CorosyncOptions Options { get; }

    /// <summary>The shared key (corosync-keygen's format: 256 random bytes).</summary>
    public byte[] AuthKey { get; }

    public string AuthKeyPath { get; }

    public string NodeDirectory(int node) => Path.Combine(WorkDirectory, $"n{node}");

    public string ConfigPath(int node) => Path.Combine(NodeDirectory(node), "corosync.conf");

    public string LogPath(int node) => Path.Combine(NodeDirectory(node), "corosync.log");

    /// <summary>Starts corosync on every configured node and waits until each has written its pid file.</summary>
    public void StartAll()
    {
        foreach (var node in CorosyncNodes)
        {
            Start(node);
        }
    }

    public void Start(int node)
    {
        if (_running.ContainsKey(node))
        {
            return;
        }

        var directory = NodeDirectory(node);
        File.Delete(Path.Combine(directory, "run", "corosync.pid"));
        var script = $"mount --bind '{Path.Combine(directory, "run")}' /run && exec corosync -f -c '{ConfigPath(node)}'";
        // ip netns exec -> unshare -> sh -> corosync: every step execs, so the process is corosync itself.
        var process = Testbed.Start(
            node,
            "unshare",
            ["--mount", "--propagation", "private", "/bin/sh", "-c", script],
            Path.Combine(directory, "corosync.out"));
        _running[node] = process;
        var started = Stopwatch.StartNew();
        while (ReadPid(node) is null)
        {
            if (process.HasExited || started.Elapsed > TimeSpan.FromSeconds(15))
            {
                throw new InvalidOperationException(
                    $"corosync on node {node} did not start (exit {(process.HasExited ? process.ExitCode.ToString(CultureInfo.InvariantCulture) : "none")}): " +
                    $"{ReadText(Path.Combine(directory, "corosync.out"))} {Tail(LogPath(node), 20)}");
            }

            Thread.Sleep(20);
        }

        Invariant.Require(ReadPid(node) == process.Id);
    }

    /// <summary>Stops corosync on <paramref name="node"/>: SIGTERM, then SIGKILL after 10 s. Only the process this class started.</summary>
    public void Stop(int node)
    {
        if (!_running.Remove(node, out var process))
        {
            return;
        }

        using (process)
        {
            if (!process.HasExited)
            {
                HostCommand.Run("kill", ["-TERM", process.Id.ToString(CultureInfo.InvariantCulture)]);
                if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
                {
                    process.Kill();
                    process.WaitForExit(TimeSpan.FromSeconds(5));
                }
            }
        }
    }

    public bool IsRunning(int node) => _running.TryGetValue(node, out var process) && !process.HasExited;

    /// <summary>Runs <c>corosync-cfgtool -s</c> on <paramref name="node"/> and parses it.</summary>
    public CfgtoolStatus Status(int node) => CfgtoolStatus.Parse(Cfgtool(node, "-s"));

    /// <summary>Runs a corosync-cfgtool command in the node's namespace (the IPC sockets are per namespace).</summary>
    public string Cfgtool(int node, params string[] arguments)
    {
        var result = Testbed.Exec(node, "corosync-cfgtool", arguments);
        return result.StandardOutput + result.StandardError;
    }

    /// <summary>Every line of the node's corosync log so far.</summary>
    public IReadOnlyList<string> LogLines(int node) =>
        File.Exists(LogPath(node)) ? ReadText(LogPath(node)).Split('\n', StringSplitOptions.RemoveEmptyEntries) : [];

    public void Dispose()
    {
        foreach (var node in _running.Keys.ToList())
        {
            Stop(node);
        }
    }

    private int? ReadPid(int node)
    {
        var text = ReadText(Path.Combine(NodeDirectory(node), "run", "corosync.pid")).Trim();
        return int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
    }

    private static string ReadText(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            using var reader = new StreamReader(stream);
            return reader.ReadToEnd();
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }

    private static string Tail(string path, int lines) =>
        string.Join('\n', ReadText(path).Split('\n').TakeLast(lines));

    private string Config(int node)
    {
        var text = new StringBuilder();
        text.Append("# generated by Rookery's interop test for node").Append(node).Append('\n');
        text.Append("totem {\n    version: 2\n    cluster_name: rookery-interop\n    config_version: 1\n    transport: knet\n");
        text.Append("    secauth: on\n    crypto_cipher: aes256\n    crypto_hash: sha256\n");
        text.Append("    keyfile: ").Append(AuthKeyPath).Append('\n');
        text.Append("    link_mode: ").Append(Options.LinkMode).Append('\n');
        if (Options.TokenMilliseconds is { } token)
        {
            text.Append("    token: ").Append(token.ToString(CultureInfo.InvariantCulture)).Append('\n');
        }

        for (var link = 0; link < Testbed.Links; link++)
        {
            var priority = link < Options.LinkPriorities.Count ? Options.LinkPriorities[link] : 1;
            text.Append("    interface {\n        linknumber: ").Append(link.ToString(CultureInfo.InvariantCulture))
                .Append("\n        knet_link_priority: ").Append(priority.ToString(CultureInfo.InvariantCulture)).Append("\n    }\n");
        }

        text.Append("}\nnodelist {\n");
        for (var other = 1; other <= Testbed.Nodes; other++)
        {
            text.Append("    node {\n        nodeid: ").Append(other.ToString(CultureInfo.InvariantCulture))
                .Append("\n        name: node").Append(other.ToString(CultureInfo.InvariantCulture)).Append('\n');
            for (var link = 0; link < Testbed.Links; link++)
            {
                text.Append("        ring").Append(link.ToString(CultureInfo.InvariantCulture)).Append("_addr: ")
                    .Append(NetnsTestbed.Address(other, link)).Append('\n');
            }

            text.Append("    }\n");
        }

        var directory = NodeDirectory(node);
        text.Append("}\nquorum {\n    provider: corosync_votequorum\n}\n");
        text.Append("logging {\n    to_logfile: yes\n    logfile: ").Append(LogPath(node)).Append('\n');
        text.Append("    to_syslog: no\n    to_stderr: no\n    timestamp: hires\n    debug: off\n");
        text.Append("    logger_subsys {\n        subsys: KNET\n        debug: on\n    }\n}\n");
        text.Append("system {\n    state_dir: ").Append(Path.Combine(directory, "state")).Append('\n');
        text.Append("    move_to_root_cgroup: no\n}\n");
        return text.ToString();
    }
}

/// <summary>What <c>corosync-cfgtool -s</c> printed: per link, the status word of every node id.</summary>
public sealed partial record CfgtoolStatus(int LocalNodeId, IReadOnlyDictionary<(int Link, int NodeId), string> Links, string Text)
{
    /// <summary>The status word of (link, node) — <c>connected</c>, <c>disconnected</c>, <c>localhost</c>, … — or null when not listed.</summary>
    public string? Of(int link, int nodeId) => Links.TryGetValue((link, nodeId), out var status) ? status : null;

    public bool IsConnected(int link, int nodeId) => Of(link, nodeId) == "connected";

    public static CfgtoolStatus Parse(string text)
    {
        var links = new Dictionary<(int, int), string>();
        var local = 0;
        var link = -1;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (LocalNode().Match(line) is { Success: true } localMatch)
            {
                local = int.Parse(localMatch.Groups[1].ValueSpan, CultureInfo.InvariantCulture);
            }
            else if (LinkHeader().Match(line) is { Success: true } linkMatch)
            {
                link = int.Parse(linkMatch.Groups[1].ValueSpan, CultureInfo.InvariantCulture);
            }
            else if (link >= 0 && NodeLine().Match(line) is { Success: true } nodeMatch)
            {
                links[(link, int.Parse(nodeMatch.Groups[1].ValueSpan, CultureInfo.InvariantCulture))] = nodeMatch.Groups[2].Value.Trim();
            }
        }

        return new CfgtoolStatus(local, links, text);
    }

    [GeneratedRegex(@"^Local node ID (\d+)")]
    private static partial Regex LocalNode();

    [GeneratedRegex(@"^LINK ID (\d+)")]
    private static partial Regex LinkHeader();

    [GeneratedRegex(@"^nodeid:\s*(\d+):\s*(.+)$")]
    private static partial Regex NodeLine();
}
