using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Rookery.Client;
using Rookery.Cli.Formatting;
using Rookery.Integration.Tests.Testbed;
using Rookery.Control;

namespace Rookery.Integration.Tests.Loopback;

/// <summary>Starts the three-node loopback cluster once for the tests of <see cref="LoopbackClusterTests"/>.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public class LoopbackClusterFixture : IAsyncLifetime
{
    public LoopbackClusterFixture()
        : this(new LoopbackCluster())
    {
    }

    /// <param name="cluster">A cluster whose files are written, not yet started.</param>
    protected LoopbackClusterFixture(LoopbackCluster cluster) => Cluster = cluster;

    public LoopbackCluster Cluster { get; }

    public async ValueTask InitializeAsync()
    {
        Cluster.StartAll();
        await LoopbackClusterTests.WaitForMembersAsync(Cluster, [1, 2, 3], TimeSpan.FromSeconds(60));
    }

    public ValueTask DisposeAsync() => Cluster.DisposeAsync();
}

/// <summary>
/// Real processes: three <c>rookery daemon</c>s on loopback addresses form a quorate cluster; the admin commands
/// in both formats; bad input everywhere; a group stream that survives a crash, a restart and a link added live.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class LoopbackClusterTests(LoopbackClusterFixture fixture) : IClassFixture<LoopbackClusterFixture>
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(60);

    private LoopbackCluster Cluster => fixture.Cluster;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Status_nodes_and_links_in_both_formats()
    {
        await WaitForMembersAsync(Cluster, [1, 2, 3], s_deadline);

        var status = LoopbackCluster.Cli("status", "--socket", Cluster.SocketPath(1));
        TestContext.Current.TestOutputHelper?.WriteLine($"$ rookery status\n{status.Output}");
        Assert.Equal(0, status.ExitCode);
        Assert.StartsWith($"Cluster information\n-------------------\nName:             loopback\nConfig Version:   {Cluster.WrittenConfigVersion(1)}\nTransport:        knet\nSecure auth:      on\n\nQuorum information\n", status.Output, StringComparison.Ordinal);
        Assert.Contains("Nodes:            3\nNode ID:          0x00000001\n", status.Output, StringComparison.Ordinal);
        Assert.Contains("Quorate:          Yes\n", status.Output, StringComparison.Ordinal);
        Assert.Contains("Total votes:      3\nQuorum:           2  \nFlags:            Quorate \n", status.Output, StringComparison.Ordinal);
        Assert.Contains($"0x00000001          1 {Cluster.Address(0, 1)} (local)\n", status.Output, StringComparison.Ordinal);
        Assert.Contains("\nLinks information\n", status.Output, StringComparison.Ordinal);

        var json = LoopbackCluster.Cli("status", "--json", "--socket", Cluster.SocketPath(2));
        using (var document = JsonDocument.Parse(json.Output))
        {
            Assert.True(document.RootElement.GetProperty("quorum").GetProperty("quorate").GetBoolean());
            Assert.Equal(2u, document.RootElement.GetProperty("quorum").GetProperty("node_id").GetUInt32());
            Assert.Equal(3, document.RootElement.GetProperty("members").GetArrayLength());
            Assert.Equal("loopback", document.RootElement.GetProperty("cluster").GetProperty("name").GetString());
        }

        var nodes = LoopbackCluster.Cli("nodes", "--socket", Cluster.SocketPath(2));
        Assert.Equal(0, nodes.ExitCode);
        Assert.Equal("\nMembership information\n----------------------\n    Nodeid      Votes Name\n         1          1 n1\n         2          1 n2 (local)\n         3          1 n3\n", nodes.Output);
        var nodesJson = LoopbackCluster.Cli("nodes", "--json", "--socket", Cluster.SocketPath(2));
        using (var document = JsonDocument.Parse(nodesJson.Output))
        {
            Assert.Equal(3, document.RootElement.GetProperty("members").GetArrayLength());
        }

        var links = LoopbackCluster.Cli("links", "--socket", Cluster.SocketPath(1));
        TestContext.Current.TestOutputHelper?.WriteLine($"$ rookery links\n{links.Output}");
        Assert.Equal(0, links.ExitCode);
        Assert.StartsWith($"Local node ID 1, transport knet\nLINK ID 0 udp\n\taddr\t= {Cluster.Address(0, 1)}\n\tstatus:\n\t\tnodeid:          1:\tlocalhost\n", links.Output, StringComparison.Ordinal);
        var linksJson = LoopbackCluster.Cli("links", "--json", "--socket", Cluster.SocketPath(1));
        using (var document = JsonDocument.Parse(linksJson.Output))
        {
            var peers = document.RootElement.GetProperty("nodes").EnumerateArray().Where(n => n.GetProperty("nodeid").GetUInt32() != 1).ToArray();
            Assert.Equal(2, peers.Length);
            Assert.All(peers, peer => Assert.True(peer.GetProperty("links")[0].GetProperty("connected").GetBoolean()));
        }

        // And once as a process of its own, as an administrator runs it.
        var process = await LoopbackCluster.CliProcessAsync("status", "--socket", Cluster.SocketPath(3));
        Assert.True(process.ExitCode == 0, process.Error);
        Assert.Contains("Node ID:          0x00000003\n", process.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_input_to_every_command_and_a_malformed_frame_get_clear_errors_and_the_daemon_keeps_running()
    {
        await WaitForMembersAsync(Cluster, [1, 2, 3], s_deadline);
        var socket = Cluster.SocketPath(1);

        AssertFails(LoopbackCluster.Cli("status", "--socket", Path.Combine(Cluster.Directory, "nobody.sock")), 1, "is it running?");
        AssertFails(LoopbackCluster.Cli("expected", "0", "--socket", socket), 2, "New expected votes value was not valid");
        AssertFails(LoopbackCluster.Cli("expected", "many", "--socket", socket), 2, "many");
        AssertFails(LoopbackCluster.Cli("expected", "1", "--socket", socket), 1, "Unable to set expected votes: CS_ERR_INVALID_PARAM");
        AssertFails(LoopbackCluster.Cli("link", "disable", "9", "--socket", socket), 2, "link numbers are 0..7");
        AssertFails(LoopbackCluster.Cli("link", "disable", "5", "--socket", socket), 1, "link 5 is not configured");
        AssertFails(LoopbackCluster.Cli("group", "send", "g", "--size", "3", "--socket", socket), 2, "--size must be");
        AssertFails(LoopbackCluster.Cli("group", "send", "g", "--count", "0", "--socket", socket), 2, "--count must be");
        AssertFails(LoopbackCluster.Cli("group", "watch", new string('x', 200), "--socket", socket), 2, "group name must be");
        AssertFails(LoopbackCluster.Cli("status", "--bogus"), 2, "--bogus");
        AssertFails(LoopbackCluster.Cli("daemon", "--config", Path.Combine(Cluster.Directory, "missing.conf"), "--socket", Path.Combine(Cluster.Directory, "x.sock")), 8, "Can't read file");

        // A broken file: reload --dry-run prints config check's file:line errors and changes nothing.
        var original = await File.ReadAllTextAsync(Cluster.ConfigPath(1), Token);
        await File.WriteAllTextAsync(Cluster.ConfigPath(1), original.Replace("  token: 2000\n", "  token: soon\n", StringComparison.Ordinal), Token);
        try
        {
            var dryRun = LoopbackCluster.Cli("reload", "--dry-run", "--socket", socket);
            AssertFails(dryRun, 1, "would change nothing");
            // The report (every member's, or this node's for a dry run) lists the file:line errors; the verdict goes to stderr.
            Assert.Contains("error: " + Cluster.ConfigPath(1) + ":", dryRun.Output, StringComparison.Ordinal);
        }
        finally
        {
            await File.WriteAllTextAsync(Cluster.ConfigPath(1), original, Token);
        }

        // Malformed and oversized control-socket frames get error replies on a connection that stays usable.
        using (var raw = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            await raw.ConnectAsync(new UnixDomainSocketEndPoint(socket), Token);
            using var stream = new NetworkStream(raw);
            using var reader = new StreamReader(stream);
            await stream.WriteAsync(Encoding.UTF8.GetBytes("{this is not json\n"), Token);
            Assert.Contains("\"code\":\"bad_request\"", await reader.ReadLineAsync(Token), StringComparison.Ordinal);
            await stream.WriteAsync(Encoding.UTF8.GetBytes(new string('z', ControlProtocol.FrameSizeMax + 1) + "\n"), Token);
            Assert.Contains("\"code\":\"frame_too_large\"", await reader.ReadLineAsync(Token), StringComparison.Ordinal);
            await stream.WriteAsync(Encoding.UTF8.GetBytes("{\"v\":1,\"id\":5,\"cmd\":\"status\"}\n"), Token);
            Assert.Contains("\"ok\":true", await reader.ReadLineAsync(Token), StringComparison.Ordinal);
        }

        Assert.True(Cluster.IsRunning(1), Cluster.Log(1));
        var after = LoopbackCluster.Cli("status", "--socket", socket);
        Assert.Equal(0, after.ExitCode);
        Assert.Contains("Nodes:            3\n", after.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_group_stream_survives_a_crash_a_restart_and_a_link_added_live_without_loss_or_duplicate()
    {
        await WaitForMembersAsync(Cluster, [1, 2, 3], s_deadline);
        await using var senderClient = await RookeryClient.ConnectAsync(Cluster.SocketPath(1), Token);
        await using var watcherClient = await RookeryClient.ConnectAsync(Cluster.SocketPath(2), Token);
        await using var watcher = await watcherClient.JoinGroupAsync("stream", Token);
        await using var sender = await senderClient.JoinGroupAsync("stream", Token);
        var received = new List<ulong>();
        var watching = Task.Run(async () =>
        {
            await foreach (var groupEvent in watcher.ReadEventsAsync(Token))
            {
                if (groupEvent.Event == GroupEvent.Deliver && groupEvent.Nodeid == 1 && GroupEventFormatter.TryReadSequence(groupEvent.Data) is { } seq)
                {
                    lock (received)
                    {
                        received.Add(seq);
                    }
                }
            }
        }, Token);
        using var stopSending = new CancellationTokenSource();
        ulong sent = 0;
        var sending = Task.Run(async () =>
        {
            while (!stopSending.IsCancellationRequested)
            {
                await sender.SendAsync(GroupEventFormatter.SequencedPayload(sent + 1, 200), Token);
                sent++;
                await Task.Delay(5, Token);
            }
        }, Token);

        // A crash: node 3 is killed, the others re-form without it and stay quorate (2 of 3).
        Cluster.Kill(3);
        await WaitForMembersAsync(Cluster, [1, 2], s_deadline);
        var twoNodes = await StatusAsync(1);
        Assert.True(twoNodes.Quorum.Quorate);
        Assert.Equal(2u, twoNodes.Quorum.TotalVotes);

        // The restart: it rejoins with the same configuration.
        Cluster.Start(3);
        await WaitForMembersAsync(Cluster, [1, 2, 3], s_deadline);

        // A live link: every file gets link 1 and a new config_version; one reload applies it everywhere.
        var ringBefore = (await StatusAsync(1)).Quorum.RingId;
        for (var id = 1; id <= LoopbackCluster.NodeCount; id++)
        {
            Cluster.WriteConfig(id, configVersion: 2, withLink1: true);
        }

        var dryRun = LoopbackCluster.Cli("reload", "--dry-run", "--socket", Cluster.SocketPath(2));
        Assert.True(dryRun.ExitCode == 0, dryRun.Output + dryRun.Error);
        Assert.Contains($"would apply: link 1 added: local addr: {Cluster.Address(1, 2)}, port=5406", dryRun.Output, StringComparison.Ordinal);
        var reload = LoopbackCluster.Cli("reload", "--socket", Cluster.SocketPath(2));
        Assert.True(reload.ExitCode == 0, reload.Output + reload.Error);
        Assert.Contains("applied: totem.config_version: 1 -> 2", reload.Output, StringComparison.Ordinal);
        Assert.True(
            await Eventually.TrueAsync(() => AllLinksConnected(1), s_deadline, TimeSpan.FromMilliseconds(100)),
            "link 1 did not come up on every node:\n" + LoopbackCluster.Cli("links", "--socket", Cluster.SocketPath(1)).Output);
        var afterReload = await StatusAsync(1);
        Assert.Equal(ringBefore, afterReload.Quorum.RingId);
        Assert.Equal(2ul, afterReload.Cluster.ConfigVersion);
        Assert.Contains($"[KNET  ] Configured link number 1: local addr: {Cluster.Address(1, 3)}, port=5406", Cluster.Log(3), StringComparison.Ordinal);

        // Maintenance: link 1 (the preferred one) out of service everywhere, traffic on link 0, then back; no membership change.
        var disable = LoopbackCluster.Cli("link", "disable", "1", "--socket", Cluster.SocketPath(3));
        Assert.True(disable.ExitCode == 0, disable.Error);
        Assert.True(
            await Eventually.TrueAsync(() => ActiveLinkEverywhere(0), s_deadline, TimeSpan.FromMilliseconds(100)),
            "traffic did not move to link 0:\n" + LoopbackCluster.Cli("links", "--socket", Cluster.SocketPath(1)).Output);
        Assert.Equal(0, LoopbackCluster.Cli("link", "enable", "1", "--socket", Cluster.SocketPath(3)).ExitCode);
        Assert.True(await Eventually.TrueAsync(() => ActiveLinkEverywhere(1), s_deadline, TimeSpan.FromMilliseconds(100)), "traffic did not come back to link 1");
        Assert.Equal(ringBefore, (await StatusAsync(1)).Quorum.RingId);

        // Stop the stream and check it: every message once, in order.
        await stopSending.CancelAsync();
        await sending;
        Assert.True(
            await Eventually.TrueAsync(() => Count(received) >= (int)sent, s_deadline),
            $"received {Count(received)} of {sent} messages");
        await watcher.LeaveAsync(Token);
        await watching;
        lock (received)
        {
            Assert.Equal(Enumerable.Range(1, (int)sent).Select(i => (ulong)i), received);
        }

        Assert.True(sent > 100, $"only {sent} messages were sent during the scenario");

        // Quorum lost: node 1 alone has 1 of 3 votes; status says so and exits 2. Then the others come back.
        Cluster.Kill(2);
        Cluster.Kill(3);
        await WaitForMembersAsync(Cluster, [1], s_deadline);
        var alone = LoopbackCluster.Cli("status", "--socket", Cluster.SocketPath(1));
        Assert.Equal(2, alone.ExitCode);
        Assert.Contains("Quorate:          No\n", alone.Output, StringComparison.Ordinal);
        Assert.Contains("Quorum:           2 Activity blocked\n", alone.Output, StringComparison.Ordinal);
        Cluster.Start(2);
        Cluster.Start(3);
        await WaitForMembersAsync(Cluster, [1, 2, 3], s_deadline);
        Assert.Equal(0, LoopbackCluster.Cli("status", "--socket", Cluster.SocketPath(1)).ExitCode);
    }

    internal static async Task WaitForMembersAsync(LoopbackCluster cluster, int[] ids, TimeSpan deadline)
    {
        var expected = ids.Select(i => (uint)i).ToArray();
        var ok = await Eventually.TrueAsync(
            () => ids.All(id =>
            {
                var result = LoopbackCluster.Cli("status", "--json", "--socket", cluster.SocketPath(id));
                if (result.ExitCode is not (0 or 2))
                {
                    return false;
                }

                using var document = JsonDocument.Parse(result.Output);
                var members = document.RootElement.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("nodeid").GetUInt32());
                return members.SequenceEqual(expected);
            }),
            deadline,
            TimeSpan.FromMilliseconds(200));
        Assert.True(ok, $"members {string.Join(' ', ids)} not formed within {deadline}:\n" + string.Join("\n", ids.Select(id => $"--- node {id}\n{cluster.Log(id)}")));
    }

    private static int Count(List<ulong> received)
    {
        lock (received)
        {
            return received.Count;
        }
    }

    private bool AllLinksConnected(int link) =>
        Enumerable.Range(1, LoopbackCluster.NodeCount).All(id =>
        {
            var result = LoopbackCluster.Cli("links", "--json", "--socket", Cluster.SocketPath(id));
            if (result.ExitCode != 0)
            {
                return false;
            }

            using var document = JsonDocument.Parse(result.Output);
            return document.RootElement.GetProperty("nodes").EnumerateArray()
                .Where(n => n.GetProperty("nodeid").GetUInt32() != id)
                .All(n => n.GetProperty("links").EnumerateArray().Any(l => l.GetProperty("link").GetInt32() == link && l.GetProperty("connected").GetBoolean()));
        });

    /// <summary>On every node, every peer's active link is <paramref name="link"/>.</summary>
    private bool ActiveLinkEverywhere(int link) =>
        Enumerable.Range(1, LoopbackCluster.NodeCount).All(id =>
        {
            var result = LoopbackCluster.Cli("links", "--json", "--socket", Cluster.SocketPath(id));
            using var document = JsonDocument.Parse(result.Output);
            return document.RootElement.GetProperty("nodes").EnumerateArray()
                .Where(n => n.GetProperty("nodeid").GetUInt32() != id)
                .All(n => n.GetProperty("links").EnumerateArray().Where(l => l.GetProperty("active").GetBoolean()).Select(l => l.GetProperty("link").GetInt32()).SequenceEqual([link]));
        });

    private async Task<ClusterStatus> StatusAsync(int id)
    {
        await using var client = await RookeryClient.ConnectAsync(Cluster.SocketPath(id), Token);
        return await client.GetStatusAsync(Token);
    }

    private static void AssertFails((int ExitCode, string Output, string Error) result, int exitCode, string message)
    {
        Assert.True(result.ExitCode == exitCode, $"exit {result.ExitCode}, expected {exitCode}\nstdout: {result.Output}\nstderr: {result.Error}");
        Assert.Contains(message, result.Error, StringComparison.Ordinal);
    }
}
