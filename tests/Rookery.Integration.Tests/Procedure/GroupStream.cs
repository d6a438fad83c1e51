using System.Diagnostics;
using System.Text.Json;

namespace Rookery.Integration.Tests.Procedure;

/// <summary>
/// The procedure's message stream: <c>rookery group watch</c> on every node, then <c>rookery group send</c> on node 1
/// (one message every 5 ms). Each watcher's deliveries from the sender must carry consecutive sequence numbers,
/// once each, and every watcher must end at the same number: nothing lost, duplicated or reordered.
/// </summary>
public sealed class GroupStream : IAsyncDisposable
{
    public const string Group = "procedure";
    public const int IntervalMs = 5;
    public const int Count = 1_000_000;
    private readonly Dictionary<int, Watcher> _watchers = [];
    private Process? _sender;
    private readonly List<string> _senderOutput = [];

    private GroupStream()
    {
    }

    /// <summary>Starts a watcher on every node of <paramref name="nodes"/>, waits until each sees the others join, then starts the sender on node 1.</summary>
    public static async Task<GroupStream> StartAsync(ProcedureCluster cluster, params int[] nodes)
    {
        var stream = new GroupStream();
        try
        {
            foreach (var node in nodes)
            {
                stream._watchers[node] = Watcher.Start(node, cluster);
            }

            var clock = Stopwatch.StartNew();
            while (!stream._watchers.Values.All(w => w.LargestMembership >= nodes.Length))
            {
                Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30),
                    $"group watchers did not see each other within 30 s:\n{stream.Describe()}\n{cluster.LogTails()}");
                await Task.Delay(50, TestContext.Current.CancellationToken);
            }

            var send = RookeryBinary.StartInfo(["group", "send", Group, "--count", Count.ToString(), "--interval", IntervalMs.ToString(), "--size", "64"], cluster.On(1));
            stream._sender = Process.Start(send) ?? throw new InvalidOperationException("could not start rookery group send");
            stream._sender.StandardInput.Close();
            stream._sender.OutputDataReceived += (_, e) => stream.Keep(e.Data);
            stream._sender.ErrorDataReceived += (_, e) => stream.Keep(e.Data);
            stream._sender.BeginOutputReadLine();
            stream._sender.BeginErrorReadLine();
            return stream;
        }
        catch
        {
            await stream.DisposeAsync();
            throw;
        }
    }

    /// <summary>The fewest messages any watcher has received so far.</summary>
    public long Delivered => _watchers.Values.Min(w => w.Received);

    /// <summary>
    /// Waits until the watcher of every node of <paramref name="nodes"/> (default: all) has <paramref name="more"/> more
    /// messages than now (the stream flows). A node cut off from the sender's ring cannot receive: leave it out.
    /// </summary>
    public async Task FlowsAsync(int more, TimeSpan timeout, string when, params int[] nodes)
    {
        var watched = nodes.Length == 0 ? _watchers.Keys.ToArray() : nodes;
        var target = watched.ToDictionary(n => n, n => _watchers[n].Received + more);
        var clock = Stopwatch.StartNew();
        while (!watched.All(n => _watchers[n].Received >= target[n]))
        {
            Assert.True(_sender is { HasExited: false }, $"rookery group send exited: {string.Join('\n', _senderOutput)}");
            Assert.True(clock.Elapsed < timeout, $"the stream stalled {when}:\n{Describe()}");
            await Task.Delay(20, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Stops the sender, waits until every watcher ends at the same sequence number, checks the sequences.</summary>
    public async Task StopAndCheckAsync(params int[] nodes)
    {
        Assert.True(_sender is { HasExited: false }, $"rookery group send exited early: {string.Join('\n', _senderOutput)}");
        _sender.Kill();
        await _sender.WaitForExitAsync(TestContext.Current.CancellationToken);
        var checkedNodes = nodes.Length == 0 ? _watchers.Keys.ToArray() : nodes;
        var clock = Stopwatch.StartNew();
        while (checkedNodes.Select(n => _watchers[n].Last).Distinct().Count() != 1 && clock.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        var description = Describe();
        Assert.Single(checkedNodes.Select(n => _watchers[n].Last).Distinct());
        foreach (var node in checkedNodes)
        {
            var watcher = _watchers[node];
            Assert.True(watcher.Received > 0, $"node {node} received nothing\n{description}");
            Assert.True(watcher.Problems.Count == 0, $"node {node}: {string.Join("; ", watcher.Problems.Take(10))}\n{description}");
        }

        Assert.Single(checkedNodes.Select(n => _watchers[n].First).Distinct());
    }

    public string Describe() => string.Join('\n', _watchers.Select(w =>
        $"watcher at node {w.Key}: received {w.Value.Received}, seq {w.Value.First}..{w.Value.Last}, problems: {string.Join("; ", w.Value.Problems.Take(5))}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var process in _watchers.Values.Select(w => w.Process).Append(_sender))
        {
            if (process is { HasExited: false })
            {
                process.Kill();
                await process.WaitForExitAsync(CancellationToken.None);
            }

            process?.Dispose();
        }
    }

    private void Keep(string? line)
    {
        if (line is not null)
        {
            lock (_senderOutput)
            {
                _senderOutput.Add(line);
            }
        }
    }

    /// <summary>One <c>rookery group watch</c> process and the check of what it prints.</summary>
    private sealed class Watcher
    {
        private readonly Lock _lock = new();
        private readonly List<string> _problems = [];
        private long _received;
        private (long Nodeid, long Pid)? _sender;

        private Watcher(Process process) => Process = process;

        public Process Process { get; }

        public long Received => Interlocked.Read(ref _received);

        public long First { get; private set; } = -1;

        public long Last { get; private set; } = -1;

        public int LargestMembership { get; private set; }

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

        public static Watcher Start(int node, ProcedureCluster cluster)
        {
            var process = Process.Start(RookeryBinary.StartInfo(["group", "watch", Group], cluster.On(node)))
                ?? throw new InvalidOperationException("could not start rookery group watch");
            process.StandardInput.Close();
            var watcher = new Watcher(process);
            process.OutputDataReceived += (_, e) => watcher.OnLine(e.Data);
            process.ErrorDataReceived += (_, e) => watcher.OnProblem(e.Data);
            process.BeginOutputReadLine();
            process.BeginErrorReadLine();
            return watcher;
        }

        private void OnProblem(string? line)
        {
            if (!string.IsNullOrWhiteSpace(line))
            {
                lock (_lock)
                {
                    _problems.Add("stderr: " + line);
                }
            }
        }

        private void OnLine(string? line)
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
                    var kind = root.GetProperty("event").GetString();
                    if (kind == "membership")
                    {
                        LargestMembership = Math.Max(LargestMembership, root.GetProperty("members").GetArrayLength());
                        return;
                    }

                    if (kind != "deliver" || root.GetProperty("seq").ValueKind != JsonValueKind.Number)
                    {
                        return;
                    }

                    var from = (root.GetProperty("nodeid").GetInt64(), root.GetProperty("pid").GetInt64());
                    var seq = root.GetProperty("seq").GetInt64();
                    _sender ??= from;
                    if (_sender != from)
                    {
                        _problems.Add($"a second sender {from}");
                        return;
                    }

                    if (First < 0)
                    {
                        First = seq;
                    }
                    else if (seq != Last + 1)
                    {
                        _problems.Add(seq <= Last ? $"seq {seq} after {Last} (duplicate or reordered)" : $"seq {seq} after {Last} (lost {seq - Last - 1})");
                    }

                    Last = Math.Max(Last, seq);
                    Interlocked.Increment(ref _received);
                }
                catch (Exception exception) when (exception is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
                {
                    _problems.Add($"unreadable line '{line}': {exception.Message}");
                }
            }
        }
    }
}
