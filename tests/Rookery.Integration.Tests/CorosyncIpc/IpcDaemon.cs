using System.Diagnostics;
using System.Text.RegularExpressions;
using Rookery.Integration.Tests.Procedure;
using Rookery.Integration.Tests.Testbed;

namespace Rookery.Integration.Tests.CorosyncIpc;

/// <summary>
/// One <c>rookery daemon</c> in a testbed namespace (abstract socket names are per network namespace, so each
/// daemon serves corosync's IPC to the tools run in its namespace), with its config, state and log in a directory.
/// </summary>
public sealed partial class IpcDaemon
{
    private readonly NetnsTestbed _testbed;
    private Process? _process;

    public IpcDaemon(NetnsTestbed testbed, int node, string directory, string configText, string nodeName)
    {
        _testbed = testbed;
        Node = node;
        Directory = directory;
        NodeName = nodeName;
        System.IO.Directory.CreateDirectory(Path.Combine(directory, "state"));
        File.WriteAllText(ConfigPath, configText);
    }

    public int Node { get; }

    public string Directory { get; }

    public string NodeName { get; }

    public string ConfigPath => Path.Combine(Directory, "corosync.conf");

    public string LogPath => Path.Combine(Directory, "daemon.log");

    /// <summary>The daemon's pid: <c>ip netns exec</c> and <c>dotnet</c> exec, so the started process is the daemon.</summary>
    public int Pid => _process?.Id ?? throw new InvalidOperationException("not started");

    public bool HasExited => _process?.HasExited ?? true;

    public void Start() =>
        _process = _testbed.Start(Node, "dotnet",
            [RookeryBinary.Dll, "daemon", "--config", ConfigPath, "--state-dir", Path.Combine(Directory, "state"), "--socket", Path.Combine(Directory, "rookery.sock"), "--node", NodeName],
            LogPath);

    /// <summary>SIGKILL: no clean-up of its own (the next start removes its ring directories).</summary>
    public void Kill()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            process.WaitForExit();
        }
    }

    /// <summary>SIGTERM, then wait for the exit.</summary>
    public async Task StopAsync()
    {
        if (_process is { HasExited: false } process)
        {
            HostCommand.Run("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
            await process.WaitForExitAsync(deadline.Token);
        }
    }

    /// <summary>Runs one of corosync's tools in this daemon's namespace.</summary>
    public CommandResult Tool(string tool, params string[] arguments) => _testbed.Exec(Node, tool, arguments);

    public string Log() => ReadLog(LogPath);

    /// <summary>A log file another process is still writing; empty when it is not there yet.</summary>
    public static string ReadLog(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            return new StreamReader(stream).ReadToEnd();
        }
        catch (IOException)
        {
            return string.Empty;
        }
    }

    /// <summary>The ring directories this daemon's pid owns in /dev/shm (qb-SRVPID-CLIPID-FD-XXXXXX).</summary>
    public static IReadOnlyList<string> RingDirectories(int pid) =>
        [.. System.IO.Directory.EnumerateDirectories("/dev/shm", $"qb-{pid}-*")];

    /// <summary>Dates and ring ids vary between runs: masked as the golden files are.</summary>
    public static string Mask(string text) => RingLine().Replace(DateLine().Replace(text, "${1}<date>"), "${1}<ring>");

    [GeneratedRegex(@"(?m)^(Date: +).*$")]
    private static partial Regex DateLine();

    [GeneratedRegex(@"(?m)^(Ring ID: +).*$")]
    private static partial Regex RingLine();
}
