using System.Diagnostics;
using System.Globalization;
using Rookery.Integration.Tests.Testbed;

namespace Rookery.Integration.Tests.CorosyncIpc;

/// <summary>
/// Debian's unmodified Pacemaker (<c>pacemakerd -f</c> and its daemons) on one testbed node, beside that node's
/// <c>rookery daemon</c>. Its IPC (abstract sockets) is the node's network namespace's; its files are the node's
/// own: a private mount namespace binds the node's directories over /var/lib/pacemaker, /var/log/pacemaker and
/// /run/resource-agents (the Dummy agent's state file), and a private UTS namespace gives it the node's host name.
/// </summary>
public sealed class PacemakerNode
{
    private static readonly TimeSpan StopTimeout = TimeSpan.FromSeconds(60);
    private readonly NetnsTestbed _testbed;
    private Process? _process;

    public PacemakerNode(NetnsTestbed testbed, int node, string directory)
    {
        _testbed = testbed;
        Node = node;
        Directory = directory;
    }

    public int Node { get; }

    public string Directory { get; }

    public string LogPath => Path.Combine(Directory, "pacemakerd.out");

    /// <summary>Null when Pacemaker is installed; otherwise why the test cannot run.</summary>
    public static string? UnavailableReason
    {
        get
        {
            foreach (var tool in new[] { "pacemakerd", "crm_mon", "crm_node", "crm_attribute", "cibadmin", "unshare" })
            {
                if (!HostCommand.Exists(tool))
                {
                    return $"the Pacemaker test needs `{tool}` (apt-get install pacemaker pacemaker-cli-utils resource-agents)";
                }
            }

            if (!File.Exists("/usr/lib/ocf/resource.d/pacemaker/Dummy") || !File.Exists("/usr/lib/ocf/lib/heartbeat/ocf-shellfuncs"))
            {
                return "the Pacemaker test needs ocf:pacemaker:Dummy and ocf-shellfuncs (apt-get install pacemaker resource-agents)";
            }

            return HostCommand.Run("id", ["hacluster"]).Succeeded ? null : "the Pacemaker test needs the hacluster user (apt-get install pacemaker)";
        }
    }

    /// <summary>pacemakerd's pid (ip netns exec, unshare and sh all exec, so the started process is pacemakerd).</summary>
    public int Pid => _process?.Id ?? throw new InvalidOperationException("not started");

    public void Start()
    {
        var directories = new[] { "lib/cib", "lib/pengine", "lib/blackbox", "lib/cores", "log", "rsctmp" }.Select(d => Path.Combine(Directory, d)).ToArray();
        foreach (var directory in directories)
        {
            System.IO.Directory.CreateDirectory(directory);
        }

        HostCommand.Check("chown", ["-R", "hacluster:haclient", Directory]);
        System.IO.Directory.CreateDirectory("/run/resource-agents");
        var script = string.Join(" && ", [
            $"hostname node{Node.ToString(CultureInfo.InvariantCulture)}",
            $"mount --bind {Path.Combine(Directory, "lib")} /var/lib/pacemaker",
            $"mount --bind {Path.Combine(Directory, "log")} /var/log/pacemaker",
            $"mount --bind {Path.Combine(Directory, "rsctmp")} /run/resource-agents",
            "exec pacemakerd -f",
        ]);
        _process = _testbed.Start(Node, "unshare", ["--mount", "--uts", "--propagation", "private", "sh", "-c", script], LogPath);
    }

    /// <summary>A Pacemaker command-line tool in this node's namespace (it reaches this node's daemons over their IPC).</summary>
    public CommandResult Tool(string tool, params string[] arguments) => _testbed.Exec(Node, tool, arguments);

    /// <summary>SIGTERM to pacemakerd, which stops its daemons; whatever is still there after the deadline gets SIGKILL.</summary>
    public async Task StopAsync()
    {
        if (_process is not { HasExited: false } process)
        {
            return;
        }

        var pid = process.Id.ToString(CultureInfo.InvariantCulture);
        HostCommand.Run("kill", ["-TERM", pid]);
        using var deadline = new CancellationTokenSource(StopTimeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            HostCommand.Run("pkill", ["-KILL", "-P", pid]);
            process.Kill();
            await process.WaitForExitAsync(CancellationToken.None);
        }
    }

    public string Log() => IpcDaemon.ReadLog(LogPath);
}
