using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Rookery.Cli.Formatting;
using Rookery.Control;
using Rookery.Node.Control;
using Rookery.Node.Logging;

namespace Rookery.Client.Tests;

/// <summary>Pipelined and batched group sends over a real control socket: order, completeness, back-pressure, failures.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class GroupSendPipelineTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rookery-pipe-").FullName;
    private readonly FakeNode _node = new();
    private ControlServer _server = null!;

    private string SocketPath => Path.Combine(_directory, "rookery.sock");

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public ValueTask InitializeAsync()
    {
        _server = new ControlServer(SocketPath, _node, ClusterLog.Null);
        _server.Start();
        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }

    [Theory]
    [InlineData(5000, 100)]
    [InlineData(300, 70_000)]
    public async Task Posted_messages_arrive_in_order_and_none_is_lost(int count, int size)
    {
        await using var client = await RookeryClient.ConnectAsync(SocketPath, Token);
        await using var membership = await client.JoinGroupAsync("stream", Token);
        var buffer = new byte[size];

        for (var i = 0; i < count; i++)
        {
            // One buffer reused for every message: the pipeline must have copied it.
            GroupEventFormatter.SequencedPayload((ulong)i, 16).CopyTo(buffer, 0);
            await membership.PostAsync(buffer, Token);
        }

        await membership.FlushAsync(Token);

        Assert.Equal(count, _node.MessagesSent);
        var sequences = await ReadDeliveriesAsync(membership, count);
        Assert.Equal(Enumerable.Range(0, count).Select(i => (ulong?)i), sequences);
    }

    [Fact]
    public async Task Concurrent_sends_and_a_batch_are_each_accepted_and_a_batch_keeps_its_order()
    {
        await using var client = await RookeryClient.ConnectAsync(SocketPath, Token);
        await using var membership = await client.JoinGroupAsync("batch", Token);

        var batch = Enumerable.Range(0, 500).Select(i => (ReadOnlyMemory<byte>)GroupEventFormatter.SequencedPayload((ulong)i, 32)).ToArray();
        await membership.SendBatchAsync(batch, Token);
        var accepted = _node.MessagesSent;
        await Task.WhenAll(Enumerable.Range(500, 100).Select(i => membership.SendAsync(GroupEventFormatter.SequencedPayload((ulong)i, 32), Token)));

        Assert.Equal(500, accepted);
        Assert.Equal(600, _node.MessagesSent);
        var sequences = await ReadDeliveriesAsync(membership, 600);
        Assert.Equal(Enumerable.Range(0, 500).Select(i => (ulong?)i), sequences.Take(500));
        Assert.Equal(Enumerable.Range(500, 100).Select(i => (ulong?)i), sequences.Skip(500).Order());
    }

    [Fact]
    public async Task Posting_waits_while_the_node_takes_nothing_and_everything_goes_out_once_it_does()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _node.SendGate = gate.Task;
        await using var client = await RookeryClient.ConnectAsync(SocketPath, Token);
        await using var membership = await client.JoinGroupAsync("slow", Token);

        // Queue, window and one batch in the node: the bound on what a stalled node makes the client hold.
        const int bound = GroupSendPipeline.QueueMessagesMax + ((GroupSendPipeline.WindowBatches + 1) * GroupSendPipeline.BatchMessagesMax);
        var posted = 0;
        ValueTask blocked = default;
        for (; posted <= bound; posted++)
        {
            blocked = membership.PostAsync(GroupEventFormatter.SequencedPayload((ulong)posted, 16), Token);
            if (!blocked.IsCompleted)
            {
                break;
            }
        }

        Assert.True(posted <= bound, $"posted {posted} messages to a node that takes none without being held back");
        Assert.True(posted >= GroupSendPipeline.QueueMessagesMax, $"held back after {posted} messages, before the queue was full");
        Assert.Equal(0, _node.MessagesSent);

        gate.SetResult();
        await blocked;
        await membership.FlushAsync(Token);

        Assert.Equal(posted + 1, _node.MessagesSent);
        var sequences = await ReadDeliveriesAsync(membership, posted + 1);
        Assert.Equal(Enumerable.Range(0, posted + 1).Select(i => (ulong?)i), sequences);
    }

    [Fact]
    public async Task A_refused_message_fails_the_flush_and_every_later_send_and_what_came_before_it_went_out_in_order()
    {
        _node.RefuseSend = payload => GroupEventFormatter.TryReadSequence(payload.ToArray()) == 50;
        await using var client = await RookeryClient.ConnectAsync(SocketPath, Token);
        await using var membership = await client.JoinGroupAsync("refused", Token);

        var refusedAt = -1;
        try
        {
            for (var i = 0; i < 3000; i++)
            {
                await membership.PostAsync(GroupEventFormatter.SequencedPayload((ulong)i, 16), Token);
            }

            await membership.FlushAsync(Token);
        }
        catch (NodeControlException exception)
        {
            Assert.Equal(ControlErrorCodes.Refused, exception.Code);
            refusedAt = 50;
        }

        Assert.Equal(50, refusedAt);
        var later = await Assert.ThrowsAsync<NodeControlException>(() => membership.SendAsync(new byte[8], Token));
        Assert.Equal(ControlErrorCodes.Refused, later.Code);
        await WaitUntilAsync(() => _node.MessagesSent >= 50);

        // Everything before the refused message went out in order; the batch it was in stopped there. Batches
        // already written behind it may have been taken too, but never a message before a gap in the client's order.
        var sequences = await ReadDeliveriesAsync(membership, _node.MessagesSent);
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (ulong?)i), sequences.Take(50));
        Assert.DoesNotContain((ulong?)50, sequences);
    }

    [Fact]
    public async Task A_message_over_the_size_limit_is_refused_before_it_is_queued()
    {
        await using var client = await RookeryClient.ConnectAsync(SocketPath, Token);
        await using var membership = await client.JoinGroupAsync("big", Token);

        var error = await Assert.ThrowsAsync<NodeControlException>(
            async () => await membership.PostAsync(new byte[ControlProtocol.GroupMessageSizeMax + 1], Token));
        await membership.SendAsync(new byte[10], Token);

        Assert.Equal(ControlErrorCodes.InvalidArgument, error.Code);
        Assert.Equal(1, _node.MessagesSent);
    }

    [Fact]
    public async Task A_batch_with_more_messages_than_allowed_gets_a_clear_error_and_the_connection_goes_on()
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), Token);
        var entries = string.Join(',', Enumerable.Repeat("\"aGk=\"", ControlProtocol.GroupSendBatchMax + 1));
        await SendLineAsync(socket, $"{{\"v\":1,\"id\":1,\"cmd\":\"group_join\",\"group\":\"g\",\"pid\":42}}");
        await SendLineAsync(socket, $"{{\"v\":1,\"id\":2,\"cmd\":\"group_send\",\"group\":\"g\",\"messages\":[{entries}]}}");
        await SendLineAsync(socket, "{\"v\":1,\"id\":3,\"cmd\":\"group_send\",\"group\":\"g\",\"messages\":[\"aGk=\",\"aGk=\"]}");

        var replies = await ReadRepliesAsync(socket, 3);

        Assert.True(replies[1].GetProperty("ok").GetBoolean());
        Assert.False(replies[2].GetProperty("ok").GetBoolean());
        Assert.Equal(ControlErrorCodes.InvalidArgument, replies[2].GetProperty("error").GetProperty("code").GetString());
        Assert.Contains($"1..{ControlProtocol.GroupSendBatchMax}", replies[2].GetProperty("error").GetProperty("message").GetString(), StringComparison.Ordinal);
        Assert.True(replies[3].GetProperty("ok").GetBoolean());
        Assert.Equal(2, replies[3].GetProperty("accepted").GetInt32());
        Assert.Equal(2, _node.MessagesSent);
    }

    private static async Task<List<ulong?>> ReadDeliveriesAsync(GroupMembership membership, int count)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        var sequences = new List<ulong?>();
        await foreach (var groupEvent in membership.ReadEventsAsync(timeout.Token))
        {
            if (groupEvent.Event == GroupEvent.Deliver)
            {
                sequences.Add(GroupEventFormatter.TryReadSequence(groupEvent.Data));
                if (sequences.Count == count)
                {
                    break;
                }
            }
        }

        return sequences;
    }

    private static async Task SendLineAsync(Socket socket, string line) =>
        await socket.SendAsync(Encoding.UTF8.GetBytes(line + "\n"), Token);

    /// <summary>Reads lines until the replies with ids 1..<paramref name="count"/> are in (group events are skipped).</summary>
    private static async Task<Dictionary<long, JsonElement>> ReadRepliesAsync(Socket socket, int count)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        await using var stream = new NetworkStream(socket, ownsSocket: false);
        var reader = new LineFrameReader(stream, ControlProtocol.FrameSizeMax);
        var replies = new Dictionary<long, JsonElement>();
        while (replies.Count < count)
        {
            var (status, frame) = await reader.ReadAsync(timeout.Token);
            Assert.Equal(FrameStatus.Frame, status);
            using var document = JsonDocument.Parse(frame);
            if (document.RootElement.TryGetProperty("id", out var id))
            {
                replies[id.GetInt64()] = document.RootElement.Clone();
            }
        }

        return replies;
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, "condition not met within 30 s");
            await Task.Delay(20, Token);
        }
    }
}
