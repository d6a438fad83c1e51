using Rookery.Cli.Formatting;
using Rookery.Control;
using Rookery.Node.Logging;
using Rookery.Node.Shell;

namespace Rookery.Client.Tests;

/// <summary>A real node hosted in the test process (no daemon, no socket), driven through <see cref="RookeryClient.InProcess"/>.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class InProcessNodeTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rookery-inproc-").FullName;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task A_one_node_cluster_in_process_is_quorate_and_delivers_group_messages_in_order()
    {
        var address = $"127.{10 + (Environment.ProcessId % 90)}.9.1";
        var config = Path.Combine(_directory, "corosync.conf");
        await File.WriteAllTextAsync(config,
            "totem {\n version: 2\n cluster_name: solo\n config_version: 1\n crypto_cipher: none\n crypto_hash: none\n}\n" +
            "logging {\n to_stderr: no\n to_syslog: no\n}\nquorum {\n provider: corosync_votequorum\n}\n" +
            $"nodelist {{\n node {{\n  name: solo\n  nodeid: 1\n  ring0_addr: {address}\n }}\n}}\n", Token);
        var memory = new MemoryLogSink();
        using var log = new ClusterLog(new LoggingSettings(), [memory]);
        var node = ClusterNode.Start(new NodeOptions { ConfigPath = config, StateDirectory = Path.Combine(_directory, "state"), NodeName = "solo", LogDestinationsFromConfig = false }, log);
        await using var _ = node;
        using var stop = new CancellationTokenSource();
        var running = node.RunAsync(stop.Token);
        await node.InService.WaitAsync(TimeSpan.FromSeconds(30), Token);

        await using var client = RookeryClient.InProcess(node);
        var status = await client.GetStatusAsync(Token);
        Assert.True(status.Quorum.Quorate);
        Assert.Equal("solo", Assert.Single(status.Members).Name);
        await using var membership = await client.JoinGroupAsync("local", Token);
        for (ulong i = 1; i <= 20; i++)
        {
            await membership.SendAsync(GroupEventFormatter.SequencedPayload(i, 32), Token);
        }

        var sequences = new List<ulong>();
        await foreach (var groupEvent in membership.ReadEventsAsync(Token))
        {
            if (groupEvent.Event == GroupEvent.Deliver && GroupEventFormatter.TryReadSequence(groupEvent.Data) is { } seq && sequences.Count < 20)
            {
                sequences.Add(seq);
                if (sequences.Count == 20)
                {
                    await membership.LeaveAsync(Token);
                }
            }
        }

        Assert.Equal(Enumerable.Range(1, 20).Select(i => (ulong)i), sequences);
        await stop.CancelAsync();
        Assert.Equal(0, await running.WaitAsync(TimeSpan.FromSeconds(30), Token));
        Assert.True(File.Exists(Path.Combine(_directory, "state", "ringid_1")));
        Assert.Contains(memory.Records, r => r.Message == "Completed service synchronization, ready to provide service.");
    }
}
