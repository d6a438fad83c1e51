using System.Diagnostics;
using System.Text.Json;
using Rookery.Integration.Tests.Procedure;
using Rookery.Integration.Tests.Testbed;

namespace Rookery.Integration.Tests.Mixed;

/// <summary>One delivered group message as a member saw it: sender node, sender pid, the sender's sequence number.</summary>
public readonly record struct GroupDelivery(int Nodeid, long Pid, long Seq)
{
    public override string ToString() => $"{Nodeid}/{Pid}#{Seq}";
}

/// <summary>When the test read a delivery (its process prints each one at once, flushed).</summary>
public readonly record struct TimedDelivery(GroupDelivery Delivery, TimeSpan At);

/// <summary>
/// A process-group member on one node of a <see cref="MixedCluster"/> that records what it delivers and the group
/// memberships it is told: the C libcpg client <c>cpgmix</c> on a corosync node, <c>rookery group watch</c> on a
/// Rookery node. Both carry the sequence numbers of <c>rookery group send</c>'s payload layout.
/// </summary>
public sealed class GroupObserver : IAsyncDisposable
{
    private readonly Lock _lock = new();
    private readonly List<GroupDelivery> _deliveries = [];
    private readonly List<(int Nodeid, long Pid)[]> _memberships = [];
    private readonly List<string> _problems = [];
    private readonly List<TimedDelivery> _timed = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();

    private GroupObserver(int node, Process process, bool rookery)
    {
        Node = node;
        Process = process;
        IsRookery = rookery;
    }

    public int Node { get; }

    public Process Process { get; }

    public bool IsRookery { get; }

    public IReadOnlyList<GroupDelivery> Deliveries
    {
        get
        {
            lock (_lock)
            {
                return [.. _deliveries];
            }
        }
    }

    public IReadOnlyList<TimedDelivery> TimedDeliveries
    {
        get
        {
            lock (_lock)
            {
                return [.. _timed];
            }
        }
    }

    public IReadOnlyList<(int Nodeid, long Pid)[]> Memberships
    {
        get
        {
            lock (_lock)
            {
                return [.. _memberships];
            }
        }
    }

    public IReadOnlyList<string> Problems
    {
        get
        {
            lock (_lock)
            {
                return [.. _problems];
            }
        }
    }

    public (int Nodeid, long Pid)[] LastMembership
    {
        get
        {
            lock (_lock)
            {
                return _memberships.Count == 0 ? [] : _memberships[^1];
            }
        }
    }

    /// <summary>Compiles <c>cpgmix.c</c> (next to the tests) with gcc into <paramref name="directory"/>.</summary>
    public static string CompileCpgmix(string directory)
    {
        var source = Path.Combine(AppContext.BaseDirectory, "Mixed", "Native", "cpgmix.c");
        var binary = Path.Combine(directory, "cpgmix");
        HostCommand.Check("gcc", ["-O2", "-Wall", "-Wextra", "-Werror", "-o", binary, source, "-lcpg"], timeout: TimeSpan.FromSeconds(60));
        return binary;
    }

    /// <summary><c>cpgmix GROUP COUNT INTERVAL SIZE START_MEMBERS</c> in a corosync node's namespace.</summary>
    public static GroupObserver StartCpgmix(MixedCluster cluster, int node, string binary, string group, int count, int intervalMs, int startMembers)
    {
        var start = new ProcessStartInfo(HostCommand.Resolve("ip")) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in new[] { "netns", "exec", cluster.Testbed.Namespace(node), binary, group, $"{count}", $"{intervalMs}", "64", $"{startMembers}" })
        {
            start.ArgumentList.Add(argument);
        }

        var observer = new GroupObserver(node, Process.Start(start) ?? throw new InvalidOperationException("could not start cpgmix"), rookery: false);
        observer.Process.OutputDataReceived += (_, e) => observer.OnCpgmixLine(e.Data);
        observer.Process.ErrorDataReceived += (_, e) => observer.OnProblem(e.Data);
        observer.Process.BeginOutputReadLine();
        observer.Process.BeginErrorReadLine();
        return observer;
    }

    /// <summary><c>rookery group watch GROUP</c> against a Rookery node's daemon.</summary>
    public static GroupObserver StartWatch(MixedCluster cluster, int node, string group)
    {
        var process = Process.Start(RookeryBinary.StartInfo(["group", "watch", group], cluster.On(node))) ?? throw new InvalidOperationException("could not start rookery group watch");
        process.StandardInput.Close();
        var observer = new GroupObserver(node, process, rookery: true);
        process.OutputDataReceived += (_, e) => observer.OnWatchLine(e.Data);
        process.ErrorDataReceived += (_, e) => observer.OnProblem(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return observer;
    }

    /// <summary>Waits until <paramref name="condition"/> holds for every observer; fails with a description otherwise.</summary>
    public static async Task WaitAllAsync(IReadOnlyList<GroupObserver> observers, Func<GroupObserver, bool> condition, TimeSpan timeout, string what)
    {
        var ok = await Eventually.TrueAsync(() => observers.All(condition), timeout, TimeSpan.FromMilliseconds(50));
        Assert.True(ok, $"{what} not within {timeout.TotalSeconds} s:\n{Describe(observers)}");
    }

    public static string Describe(IEnumerable<GroupObserver> observers) => string.Join('\n', observers.Select(o =>
        $"{(o.IsRookery ? "rookery group watch" : "cpgmix")} on node {o.Node}: {o.Deliveries.Count} delivered, membership [{string.Join(' ', o.LastMembership.Select(m => $"{m.Nodeid}/{m.Pid}"))}], "
        + $"exited={o.Process.HasExited}, problems: {string.Join("; ", o.Problems.Take(5))}"));

    /// <summary>SIGTERM (cpgmix leaves the group with cpg_finalize), then waits for the exit.</summary>
    public async Task StopAsync()
    {
        if (!Process.HasExited)
        {
            HostCommand.Run("kill", ["-TERM", $"{Process.Id}"]);
            using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await Process.WaitForExitAsync(deadline.Token);
            }
            catch (OperationCanceledException)
            {
                Process.Kill();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!Process.HasExited)
        {
            Process.Kill();
            await Process.WaitForExitAsync(CancellationToken.None);
        }

        Process.Dispose();
    }

    private void Add(GroupDelivery delivery)
    {
        _deliveries.Add(delivery);
        _timed.Add(new TimedDelivery(delivery, _clock.Elapsed));
    }

    private void OnProblem(string? line)
    {
        if (!string.IsNullOrWhiteSpace(line))
        {
            lock (_lock)
            {
                _problems.Add(line);
            }
        }
    }

    private void OnCpgmixLine(string? line)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            return;
        }

        var fields = line.Split(' ');
        lock (_lock)
        {
            switch (fields[0])
            {
                case "D":
                    Add(new GroupDelivery(int.Parse(fields[1]), long.Parse(fields[2]), long.Parse(fields[3])));
                    break;
                case "C":
                    _memberships.Add([.. fields.Skip(2).Select(m => m.Split('/')).Select(p => (int.Parse(p[0]), long.Parse(p[1])))]);
                    break;
            }
        }
    }

    private void OnWatchLine(string? line)
    {
        if (string.IsNullOrWhiteSpace(line))
        {
            return;
        }

        lock (_lock)
        {
            try
            {
                using var document = JsonDocument.Parse(line);
                var root = document.RootElement;
                switch (root.GetProperty("event").GetString())
                {
                    case "deliver":
                        var seq = root.GetProperty("seq");
                        Add(new GroupDelivery(root.GetProperty("nodeid").GetInt32(), root.GetProperty("pid").GetInt64(),
                            seq.ValueKind == JsonValueKind.Number ? seq.GetInt64() : -1));
                        break;
                    case "membership":
                        _memberships.Add([.. root.GetProperty("members").EnumerateArray().Select(m => (m.GetProperty("nodeid").GetInt32(), m.GetProperty("pid").GetInt64()))]);
                        break;
                }
            }
            catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
            {
                _problems.Add($"unreadable line '{line}': {exception.Message}");
            }
        }
    }
}
