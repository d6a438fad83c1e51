using System.Diagnostics;
using System.Net;

namespace Rookery.Integration.Tests.Testbed;

/// <summary>How a link is cut in the testbed (the three failure modes of baseline/corosync/measure-failover.sh).</summary>
public enum LinkCut
{
    /// <summary><c>ip link set ethN down</c> inside the node's namespace: the node's own sends fail with no route (ENETUNREACH).</summary>
    InterfaceDown,

    /// <summary>The bridge-side veth goes down: the node sees NO-CARRIER, its peers lose packets silently.</summary>
    BridgePortDown,

    /// <summary>An nftables bridge rule drops every frame to and from the node's port; every interface stays up (pure silent loss).</summary>
    NftablesDrop,
}

/// <summary>
/// A throw-away network of N nodes (one network namespace each) and L links (one Linux bridge each,
/// one veth pair per node and link), as in the seed: link 0 = 10.10.10.x/24, link 1 = 10.20.20.x/24
/// (link k = 10.(k+1)0.(k+1)0.x/24), x = node number. Nothing is routed out: bridges have no
/// address and namespaces no default route.
/// </summary>
/// <remarks>
/// Names are <c>rkt</c> + the owning process id (base 36, 5 characters) + a per-process counter, so
/// two testbeds never collide with each other nor with baseline/corosync's <c>cbn*</c>/<c>cbbr*</c>.
/// Cleanup always runs: on dispose, on a failed set-up, at process exit, and a new testbed first
/// removes leftovers of processes that no longer exist. Root only: see <see cref="UnavailableReason"/>.
/// </remarks>
public sealed class NetnsTestbed : IDisposable, IAsyncDisposable
{
    public const int NodesMax = 9;
    public const string NamePrefix = "rkt";

    private const int PidDigits = 5;
    private static readonly object Gate = new();
    private static readonly HashSet<NetnsTestbed> Live = [];
    private static int _counter;
    private static bool _exitHookInstalled;

    private readonly HashSet<(int Node, int Link, LinkCut How)> _cuts = [];
    private readonly List<Process> _processes = [];
    private bool _disposed;

    private NetnsTestbed(string prefix, int nodes, int links)
    {
        Prefix = prefix;
        Nodes = nodes;
        Links = links;
    }

    /// <summary>Null when this process can build a testbed; otherwise why not (for <c>Assert.Skip</c>).</summary>
    public static string? UnavailableReason
    {
        get
        {
            if (!OperatingSystem.IsLinux())
            {
                return "the network-namespace testbed needs Linux";
            }

            if (!Environment.IsPrivilegedProcess)
            {
                return "the network-namespace testbed needs root (run ./test.sh as root)";
            }

            foreach (var tool in new[] { "ip", "nft" })
            {
                if (!HostCommand.Exists(tool))
                {
                    return $"the network-namespace testbed needs `{tool}` (apt-get install iproute2 nftables)";
                }
            }

            return null;
        }
    }

    /// <summary>The unique prefix of every name this testbed created.</summary>
    public string Prefix { get; }

    public int Nodes { get; }

    public int Links { get; }

    /// <summary>Builds the topology. On any failure everything created so far is removed before the exception escapes.</summary>
    public static NetnsTestbed Create(int nodes, int links)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(nodes, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(nodes, NodesMax);
        ArgumentOutOfRangeException.ThrowIfLessThan(links, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(links, Limits.LinksMax);
        if (UnavailableReason is { } reason)
        {
            throw new InvalidOperationException(reason);
        }

        RemoveLeftovers();
        NetnsTestbed testbed;
        lock (Gate)
        {
            testbed = new NetnsTestbed(NextPrefix(), nodes, links);
            Live.Add(testbed);
            if (!_exitHookInstalled)
            {
                AppDomain.CurrentDomain.ProcessExit += (_, _) => DisposeAllLive();
                _exitHookInstalled = true;
            }
        }

        try
        {
            testbed.Build();
            return testbed;
        }
        catch
        {
            testbed.Dispose();
            throw;
        }
    }

    public string Namespace(int node) => $"{Prefix}n{CheckNode(node)}";

    public string Bridge(int link) => $"{Prefix}b{CheckLink(link)}";

    /// <summary>The interface of <paramref name="link"/> inside every node's namespace.</summary>
    public string NamespaceDevice(int link) => $"eth{CheckLink(link)}";

    /// <summary>The bridge-side end of the veth pair of (node, link), in the root namespace.</summary>
    public string BridgePort(int node, int link) => $"{Prefix}v{CheckNode(node)}{CheckLink(link)}";

    public static IPAddress Address(int node, int link)
    {
        var network = 10 * (link + 1);
        return new IPAddress([10, (byte)network, (byte)network, (byte)node]);
    }

    /// <summary>Runs <paramref name="action"/> inside the node's namespace (sockets created there stay there).</summary>
    public T RunIn<T>(int node, Func<T> action) => NetworkNamespace.Run(Namespace(node), action);

    /// <summary>Runs a command inside the node's namespace to completion.</summary>
    public CommandResult Exec(int node, string file, params string[] arguments) =>
        HostCommand.Run("ip", ["netns", "exec", Namespace(node), HostCommand.Resolve(file), .. arguments]);

    /// <summary>Starts a long-running process inside the node's namespace; it is killed on dispose.</summary>
    public Process Start(int node, string file, IEnumerable<string> arguments, string? standardOutputFile = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var start = new ProcessStartInfo(HostCommand.Resolve("ip"))
        {
            UseShellExecute = false,
            RedirectStandardOutput = standardOutputFile is not null,
            RedirectStandardError = standardOutputFile is not null,
        };
        foreach (var argument in new[] { "netns", "exec", Namespace(node), HostCommand.Resolve(file) }.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        var process = Process.Start(start) ?? throw new HostCommandException($"could not start {file} in {Namespace(node)}");
        lock (_processes)
        {
            _processes.Add(process);
        }

        if (standardOutputFile is not null)
        {
            var writer = TextWriter.Synchronized(new StreamWriter(standardOutputFile, append: true) { AutoFlush = true });
            process.OutputDataReceived += (_, e) => WriteLine(writer, e.Data);
            process.ErrorDataReceived += (_, e) => WriteLine(writer, e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
        }

        return process;
    }

    /// <summary>Cuts (node, link) the given way. Cutting again the same way is a no-op.</summary>
    public void Cut(int node, int link, LinkCut how)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_cuts.Add((CheckNode(node), CheckLink(link), how)))
        {
            return;
        }

        switch (how)
        {
            case LinkCut.InterfaceDown:
                Ip("-n", Namespace(node), "link", "set", NamespaceDevice(link), "down");
                break;
            case LinkCut.BridgePortDown:
                Ip("link", "set", BridgePort(node, link), "down");
                break;
            case LinkCut.NftablesDrop:
                var port = BridgePort(node, link);
                HostCommand.Check("nft", ["-f", "-"], HostCommand.Lines([
                    $"table bridge {DropTable(node, link)} {{",
                    "  chain forward {",
                    "    type filter hook forward priority 0; policy accept;",
                    $"    iifname \"{port}\" drop",
                    $"    oifname \"{port}\" drop",
                    "  }",
                    "}",
                ]));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(how), how, null);
        }
    }

    /// <summary>Undoes a <see cref="Cut"/>. Restoring a link that is not cut that way is a no-op.</summary>
    public void Restore(int node, int link, LinkCut how)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (!_cuts.Remove((CheckNode(node), CheckLink(link), how)))
        {
            return;
        }

        switch (how)
        {
            case LinkCut.InterfaceDown:
                Ip("-n", Namespace(node), "link", "set", NamespaceDevice(link), "up");
                break;
            case LinkCut.BridgePortDown:
                Ip("link", "set", BridgePort(node, link), "up");
                break;
            case LinkCut.NftablesDrop:
                HostCommand.Check("nft", ["delete", "table", "bridge", DropTable(node, link)]);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(how), how, null);
        }
    }

    /// <summary>Every namespace, link and nft table name on this host that belongs to this testbed.</summary>
    public IReadOnlyList<string> ExistingObjects() =>
        ListHostObjects().Where(name => name.StartsWith(Prefix, StringComparison.Ordinal)).ToList();

    public void Dispose()
    {
        lock (Gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            Live.Remove(this);
        }

        List<Process> processes;
        lock (_processes)
        {
            processes = [.. _processes];
            _processes.Clear();
        }

        foreach (var process in processes)
        {
            try
            {
                if (!process.HasExited)
                {
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit(5000);
                }
            }
            catch (InvalidOperationException)
            {
                // Already gone.
            }

            process.Dispose();
        }

        RemoveByPrefix(Prefix);
    }

    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }

    /// <summary>All namespaces, links and nft tables whose name starts with <see cref="NamePrefix"/>.</summary>
    public static IReadOnlyList<string> ListHostObjects()
    {
        var names = new List<string>();
        names.AddRange(ListNamespaces());
        names.AddRange(ListLinks());
        names.AddRange(ListBridgeTables());
        return names.Where(name => name.StartsWith(NamePrefix, StringComparison.Ordinal)).ToList();
    }

    /// <summary>Removes the objects of testbeds whose owning process is gone (a crashed or killed test run).</summary>
    public static void RemoveLeftovers()
    {
        var prefixes = ListHostObjects()
            .Where(name => name.Length > NamePrefix.Length + PidDigits)
            .Select(name => name[..(NamePrefix.Length + PidDigits + 1)])
            .Distinct(StringComparer.Ordinal);
        foreach (var prefix in prefixes)
        {
            if (TryParsePid(prefix) is { } pid && !Directory.Exists($"/proc/{pid}"))
            {
                RemoveByPrefix(prefix);
            }
        }
    }

    internal static string PrefixFor(int pid, int counter) =>
        NamePrefix + ToBase36(pid, PidDigits) + ToBase36(counter % 36, 1);

    internal static int? TryParsePid(string prefix)
    {
        if (prefix.Length < NamePrefix.Length + PidDigits || !prefix.StartsWith(NamePrefix, StringComparison.Ordinal))
        {
            return null;
        }

        var value = 0L;
        foreach (var c in prefix.AsSpan(NamePrefix.Length, PidDigits))
        {
            var digit = c is >= '0' and <= '9' ? c - '0' : c is >= 'a' and <= 'z' ? c - 'a' + 10 : -1;
            if (digit < 0)
            {
                return null;
            }

            value = (value * 36) + digit;
        }

        return value <= int.MaxValue ? (int)value : null;
    }

    private static string NextPrefix()
    {
        var pid = Environment.ProcessId;
        for (var attempt = 0; attempt < 36; attempt++)
        {
            var prefix = PrefixFor(pid, _counter++);
            if (!Live.Any(t => t.Prefix == prefix) && !ListHostObjects().Any(n => n.StartsWith(prefix, StringComparison.Ordinal)))
            {
                return prefix;
            }
        }

        throw new InvalidOperationException("more than 36 live testbeds in one process");
    }

    private void Build()
    {
        var root = new List<string>();
        for (var link = 0; link < Links; link++)
        {
            root.Add($"link add {Bridge(link)} type bridge stp_state 0 forward_delay 0");
            root.Add($"link set {Bridge(link)} up");
        }

        for (var node = 1; node <= Nodes; node++)
        {
            Ip("netns", "add", Namespace(node));
            for (var link = 0; link < Links; link++)
            {
                root.Add($"link add {BridgePort(node, link)} type veth peer name {NamespaceDevice(link)} netns {Namespace(node)}");
                root.Add($"link set {BridgePort(node, link)} master {Bridge(link)}");
                root.Add($"link set {BridgePort(node, link)} up");
            }
        }

        HostCommand.Check("ip", ["-batch", "-"], HostCommand.Lines(root));
        for (var node = 1; node <= Nodes; node++)
        {
            // IPv6 off: no router solicitations or DAD on the test networks.
            Exec(node, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
            var inside = new List<string> { "link set lo up" };
            for (var link = 0; link < Links; link++)
            {
                inside.Add($"addr add {Address(node, link)}/24 dev {NamespaceDevice(link)}");
                inside.Add($"link set {NamespaceDevice(link)} up");
            }

            HostCommand.Check("ip", ["-n", Namespace(node), "-batch", "-"], HostCommand.Lines(inside));
            if (HostCommand.Run("ip", ["-n", Namespace(node), "route", "show", "default"]).StandardOutput.Trim().Length > 0)
            {
                throw new InvalidOperationException($"unexpected default route in {Namespace(node)}");
            }
        }
    }

    private static void RemoveByPrefix(string prefix)
    {
        foreach (var table in ListBridgeTables().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            HostCommand.Run("nft", ["delete", "table", "bridge", table]);
        }

        // Deleting a namespace deletes the veth ends inside it and with them their bridge-side peers. A process
        // still inside (a corosync or client of a run that crashed) would keep the namespace alive: those were
        // started by the testbed's owner, so they are stopped first.
        foreach (var ns in ListNamespaces().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            foreach (var pid in HostCommand.Run("ip", ["netns", "pids", ns]).StandardOutput
                         .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                HostCommand.Run("kill", ["-KILL", pid]);
            }

            HostCommand.Run("ip", ["netns", "delete", ns]);
        }

        foreach (var link in ListLinks().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)))
        {
            HostCommand.Run("ip", ["link", "delete", link]);
        }
    }

    private static IEnumerable<string> ListNamespaces() =>
        HostCommand.Run("ip", ["netns", "list"]).StandardOutput
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(' ')[0]);

    private static IEnumerable<string> ListLinks() =>
        HostCommand.Run("ip", ["-o", "link", "show"]).StandardOutput
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split(':', 3))
            .Where(parts => parts.Length >= 2)
            .Select(parts => parts[1].Trim().Split('@')[0]);

    private static IEnumerable<string> ListBridgeTables() =>
        HostCommand.Run("nft", ["list", "tables", "bridge"]).StandardOutput
            .Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(line => line.Split(' '))
            .Where(parts => parts.Length == 3 && parts[0] == "table")
            .Select(parts => parts[2]);

    private static void DisposeAllLive()
    {
        NetnsTestbed[] live;
        lock (Gate)
        {
            live = [.. Live];
        }

        foreach (var testbed in live)
        {
            testbed.Dispose();
        }
    }

    private static void Ip(params string[] arguments) => HostCommand.Check("ip", arguments);

    private static void WriteLine(TextWriter writer, string? line)
    {
        if (line is not null)
        {
            writer.WriteLine(line);
        }
    }

    private static string ToBase36(long value, int digits)
    {
        const string alphabet = "0123456789abcdefghijklmnopqrstuvwxyz";
        var chars = new char[digits];
        for (var i = digits - 1; i >= 0; i--)
        {
            chars[i] = alphabet[(int)(value % 36)];
            value /= 36;
        }

        Invariant.Require(value == 0);
        return new string(chars);
    }

    private string DropTable(int node, int link) => $"{Prefix}_cut{node}{link}";

    private int CheckNode(int node)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(node, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(node, Nodes);
        return node;
    }

    private int CheckLink(int link)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(link, 0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(link, Links - 1);
        return link;
    }
}
