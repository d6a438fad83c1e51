using System.Diagnostics;
using System.Globalization;
using System.Text;
using Rookery.Cli;

namespace Rookery.Integration.Tests.Loopback;

/// <summary>
/// Three real <c>rookery daemon</c> processes on loopback addresses: node N uses 127.B.1.N for link 0 and, once
/// added, 127.B.2.N for link 1 (B differs per run so parallel runs do not collide). Each node has its own
/// configuration file, state directory and control socket. Killed on dispose.
/// </summary>
public sealed class LoopbackCluster : IAsyncDisposable
{
    public const int NodeCount = 3;

    private readonly Dictionary<int, Process> _daemons = [];
    private readonly Dictionary<int, StringBuilder> _logs = [];

    private readonly Dictionary<int, ulong> _writtenVersions = [];

    /// <param name="second">A second cluster of the same test process: its addresses use 200..249 as second octet, not 100..199.</param>
    /// <param name="third">A third one: 250..254.</param>
    /// <param name="linkMode">totem.link_mode of every node's file (null: the key is left out, passive).</param>
    /// <param name="fourth">A fourth one: 50..89 (third octet 1..2, apart from the in-process tests' 127.x.9.y).</param>
    /// <param name="fifth">A fifth one: 90..99.</param>
    /// <param name="sixth">A sixth one (the web interface's browser tests): 20..49.</param>
    public LoopbackCluster(bool second = false, bool third = false, string? linkMode = null, bool fourth = false, bool fifth = false, bool sixth = false)
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("rookery-loopback-").FullName;
        LinkMode = linkMode;
        var (first, count) = sixth ? (20, 30) : fifth ? (90, 10) : fourth ? (50, 40) : third ? (250, 5) : second ? (200, 50) : (100, 100);
        Base = TakeBase(first, count);
        File.WriteAllBytes(KeyPath, System.Security.Cryptography.RandomNumberGenerator.GetBytes(256));
        for (var id = 1; id <= NodeCount; id++)
        {
            System.IO.Directory.CreateDirectory(NodeDirectory(id));
            WriteConfig(id, configVersion: 1, withLink1: false);
        }
    }

    public string Directory { get; }

    /// <summary>Second octets taken by the clusters of this test process that are not disposed yet.</summary>
    private static readonly HashSet<int> s_basesInUse = [];

    /// <summary>
    /// A second octet in [<paramref name="first"/>, first + <paramref name="count"/>): the process id picks it, so that
    /// test processes running side by side part, and the next free one is taken when another cluster of this process
    /// holds it (two test classes with a cluster of the same block run in parallel: "Address already in use").
    /// </summary>
    private static int TakeBase(int first, int count)
    {
        lock (s_basesInUse)
        {
            for (var i = 0; i < count; i++)
            {
                var candidate = first + ((Environment.ProcessId + i) % count);
                if (s_basesInUse.Add(candidate))
                {
                    return candidate;
                }
            }
        }

        throw new InvalidOperationException($"every second octet of 127.{first}..{first + count - 1} is taken by a cluster of this test process");
    }

    /// <summary>Second octet of every address of this run.</summary>
    public int Base { get; }

    public string KeyPath => Path.Combine(Directory, "authkey");

    /// <summary>totem.link_mode written to every file (null: not written).</summary>
    public string? LinkMode { get; }

    /// <summary>The rookery entry assembly next to the tests (the Cli project is referenced).</summary>
    public static string RookeryDll => Path.Combine(AppContext.BaseDirectory, "rookery.dll");

    public string NodeDirectory(int id) => Path.Combine(Directory, $"node{id}");

    public string ConfigPath(int id) => Path.Combine(NodeDirectory(id), "corosync.conf");

    public string SocketPath(int id) => Path.Combine(NodeDirectory(id), "rookery.sock");

    public string Address(int link, int id) => string.Create(CultureInfo.InvariantCulture, $"127.{Base}.{link + 1}.{id}");

    public string Log(int id)
    {
        lock (_logs)
        {
            return _logs.TryGetValue(id, out var log) ? log.ToString() : string.Empty;
        }
    }

    public bool IsRunning(int id) => _daemons.TryGetValue(id, out var process) && !process.HasExited;

    /// <summary>The config_version last written to node <paramref name="id"/>'s file (tests run in any order, and one of them reloads).</summary>
    public ulong WrittenConfigVersion(int id) => _writtenVersions.TryGetValue(id, out var version) ? version : 0;

    /// <param name="id">The node whose file is written.</param>
    /// <param name="configVersion">totem.config_version.</param>
    /// <param name="withLink1">Whether link 1 is configured.</param>
    /// <param name="token">totem.token in ms.</param>
    /// <param name="quorumKeys">Extra lines for the quorum section (e.g. <c>"  expected_votes: 4\n"</c>).</param>
    public void WriteConfig(int id, ulong configVersion, bool withLink1, int token = 2000, string quorumKeys = "")
    {
        _writtenVersions[id] = configVersion;
        File.WriteAllText(ConfigPath(id), ConfigText(configVersion, withLink1, token, quorumKeys));
    }

    /// <summary>A node's file was replaced by the cluster (config apply, catch-up) with this config_version.</summary>
    public void NoteConfigVersion(int id, ulong configVersion) => _writtenVersions[id] = configVersion;

    /// <summary>The text <see cref="WriteConfig"/> writes (the same for every node).</summary>
    public string ConfigText(ulong configVersion, bool withLink1, int token = 2000, string quorumKeys = "")
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"totem {{\n  version: 2\n  cluster_name: loopback\n  config_version: {configVersion}\n");
        text.Append(CultureInfo.InvariantCulture, $"  secauth: on\n  keyfile: {KeyPath}\n  token: {token}\n");
        if (LinkMode is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $"  link_mode: {LinkMode}\n");
        }

        // Tolerant link timers: the two CPUs of a test machine are shared by three daemons, the test and the build.
        text.Append("  interface {\n    linknumber: 0\n    knet_link_priority: 15\n    knet_ping_interval: 100\n    knet_ping_timeout: 800\n  }\n");
        if (withLink1)
        {
            text.Append("  interface {\n    linknumber: 1\n    knet_link_priority: 20\n    knet_ping_interval: 100\n    knet_ping_timeout: 800\n  }\n");
        }

        text.Append("}\n\nlogging {\n  to_syslog: no\n  timestamp: hires\n}\n\nquorum {\n  provider: corosync_votequorum\n").Append(quorumKeys).Append("}\n\nnodelist {\n");
        for (var node = 1; node <= NodeCount; node++)
        {
            text.Append(CultureInfo.InvariantCulture, $"  node {{\n    name: n{node}\n    nodeid: {node}\n    quorum_votes: 1\n    ring0_addr: {Address(0, node)}\n");
            if (withLink1)
            {
                text.Append(CultureInfo.InvariantCulture, $"    ring1_addr: {Address(1, node)}\n");
            }

            text.Append("  }\n");
        }

        text.Append("}\n");
        return text.ToString();
    }

    /// <param name="id">The node.</param>
    /// <param name="daemonArguments">More <c>rookery daemon</c> options for this node (e.g. <c>--metrics</c>).</param>
    public void Start(int id, params string[] daemonArguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in new[]
                 {
                     RookeryDll, "daemon", "--config", ConfigPath(id), "--state-dir", Path.Combine(NodeDirectory(id), "state"),
                     "--socket", SocketPath(id), "--node", $"n{id}",
                 }.Concat(daemonArguments))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment.Remove("NOTIFY_SOCKET");
        start.Environment.Remove("JOURNAL_STREAM");
        start.Environment.Remove("INVOCATION_ID");
        var process = new Process { StartInfo = start };
        lock (_logs)
        {
            _logs[id] = new StringBuilder();
        }

        process.OutputDataReceived += (_, line) => Append(id, line.Data);
        process.ErrorDataReceived += (_, line) => Append(id, line.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _daemons[id] = process;
    }

    public void StartAll()
    {
        for (var id = 1; id <= NodeCount; id++)
        {
            Start(id);
        }
    }

    /// <summary>Waits for node <paramref name="id"/>'s daemon to exit by itself; its exit code, or null when it still runs at the deadline.</summary>
    public async Task<int?> WaitForExitAsync(int id, TimeSpan deadline)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(deadline);
        try
        {
            await _daemons[id].WaitForExitAsync(timeout.Token);
            return _daemons[id].ExitCode;
        }
        catch (OperationCanceledException) when (!TestContext.Current.CancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>SIGKILL: no leave message, the others must notice.</summary>
    public void Kill(int id)
    {
        var process = _daemons[id];
        process.Kill();
        process.WaitForExit(10_000);
    }

    /// <summary>Runs a rookery command in this process (the CLI's code, against a real daemon).</summary>
    public static (int ExitCode, string Output, string Error) Cli(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = Program.Run(args, new CliContext { Output = output, Error = error, GetEnvironment = _ => null });
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>Runs a rookery command as its own process.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> CliProcessAsync(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(RookeryDll);
        foreach (var argument in args)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await output, await error);
    }

    public async ValueTask DisposeAsync()
    {
        lock (s_basesInUse)
        {
            s_basesInUse.Remove(Base);
        }

        foreach (var process in _daemons.Values)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync(CancellationToken.None);
            }

            process.Dispose();
        }

        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A socket file may still be going away; the temp directory is cleaned by the system.
        }
    }

    private void Append(int id, string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_logs)
        {
            _logs[id].AppendLine(line);
        }
    }
}
