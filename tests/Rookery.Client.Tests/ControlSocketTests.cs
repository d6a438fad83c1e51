using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Rookery.Cli.Formatting;
using Rookery.Control;
using Rookery.Node.Control;
using Rookery.Node.Logging;

namespace Rookery.Client.Tests;

/// <summary>The control socket end to end: a real Unix socket, the server, and the client or raw frames.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class ControlSocketTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rookery-ctl-").FullName;
    private readonly FakeNode _node = new();
    private ControlServer _server = null!;

    private string SocketPath => Path.Combine(_directory, "run", "rookery.sock");

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

    [Fact]
    public void Socket_is_private_to_its_owner()
    {
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(SocketPath));
    }

    [Fact]
    public async Task Status_and_links_round_trip_unchanged()
    {
        await using var client = await RookeryClient.ConnectAsync(SocketPath, Token);

        var status = await client.GetStatusAsync(Token);
        var links = await client.GetLinksAsync(Token);

        Assert.Equal(JsonOutput.Status(_node.Status), JsonOutput.Status(status));
        Assert.Equal(JsonOutput.Links(_node.Status.Links), JsonOutput.Links(links));
    }

    [Fact]
    public async Task Commands_reach_the_node_with_their_arguments()
    {
        await using var client = await RookeryClient.ConnectAsync(SocketPath, Token);

        await client.SetExpectedVotesAsync(5, Token);
        await client.SetLinkEnabledAsync(1, enabled: false, clusterWide: true, Token);
        await client.SetLinkEnabledAsync(1, enabled: true, clusterWide: false, Token);
        var report = await client.ReloadAsync(dryRun: true, Token);

        Assert.Equal(["expected 5", "link 1 disable cluster", "link 1 enable local", "reload dry_run=True"], _node.Calls);
        Assert.True(report.DryRun);
        Assert.Equal(["link 1 added"], report.Applied);
    }

    [Fact]
    public async Task A_refusal_by_the_node_reaches_the_client_with_its_code_and_message()
    {
        await using var client = await RookeryClient.ConnectAsync(SocketPath, Token);

        var error = await Assert.ThrowsAsync<NodeControlException>(() => client.SetExpectedVotesAsync(1, Token));

        Assert.Equal(ControlErrorCodes.Refused, error.Code);
        Assert.Contains("CS_ERR_INVALID_PARAM", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connecting_without_a_daemon_says_so()
    {
        var error = await Assert.ThrowsAsync<NodeControlException>(() => RookeryClient.ConnectAsync(Path.Combine(_directory, "none.sock"), Token));

        Assert.Equal(ControlErrorCodes.NotRunning, error.Code);
        Assert.Contains("is it running?", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("this is not json", ControlErrorCodes.BadRequest, null)]
    [InlineData("[1,2,3]", ControlErrorCodes.BadRequest, null)]
    [InlineData("null", ControlErrorCodes.BadRequest, null)]
    [InlineData("{\"v\":1,\"id\":7}", ControlErrorCodes.BadRequest, 7L)]
    [InlineData("{\"v\":2,\"id\":8,\"cmd\":\"status\"}", ControlErrorCodes.UnsupportedVersion, 8L)]
    [InlineData("{\"v\":1,\"id\":9,\"cmd\":\"format_disk\"}", ControlErrorCodes.UnknownCommand, 9L)]
    [InlineData("{\"v\":1,\"id\":10,\"cmd\":\"expected\"}", ControlErrorCodes.InvalidArgument, 10L)]
    [InlineData("{\"v\":1,\"id\":11,\"cmd\":\"expected\",\"votes\":0}", ControlErrorCodes.InvalidArgument, 11L)]
    [InlineData("{\"v\":1,\"id\":12,\"cmd\":\"expected\",\"votes\":\"three\"}", ControlErrorCodes.BadRequest, null)]
    [InlineData("{\"v\":1,\"id\":13,\"cmd\":\"link_enable\",\"link\":8,\"enabled\":true}", ControlErrorCodes.InvalidArgument, 13L)]
    [InlineData("{\"v\":1,\"id\":14,\"cmd\":\"link_enable\",\"link\":1}", ControlErrorCodes.InvalidArgument, 14L)]
    [InlineData("{\"v\":1,\"id\":15,\"cmd\":\"group_send\",\"group\":\"g\",\"data\":\"aGk=\"}", ControlErrorCodes.GroupState, 15L)]
    [InlineData("{\"v\":1,\"id\":16,\"cmd\":\"group_join\",\"pid\":1}", ControlErrorCodes.InvalidArgument, 16L)]
    [InlineData("{\"v\":1,\"id\":17,\"cmd\":\"group_leave\",\"group\":\"g\"}", ControlErrorCodes.GroupState, 17L)]
    [InlineData("{\"v\":1,\"id\":18,\"cmd\":\"status\"", ControlErrorCodes.BadRequest, null)]
    [InlineData("{\"v\":1,\"id\":19,\"cmd\":\"group_send\",\"group\":\"g\",\"data\":\"%%%\"}", ControlErrorCodes.BadRequest, null)]
    [InlineData("{\"v\":1,\"id\":20,\"cmd\":\"group_send\",\"group\":\"g\",\"messages\":[]}", ControlErrorCodes.InvalidArgument, 20L)]
    [InlineData("{\"v\":1,\"id\":21,\"cmd\":\"group_send\",\"group\":\"g\",\"messages\":[\"aGk=\",null]}", ControlErrorCodes.InvalidArgument, 21L)]
    [InlineData("{\"v\":1,\"id\":22,\"cmd\":\"group_send\",\"group\":\"g\",\"messages\":\"aGk=\"}", ControlErrorCodes.BadRequest, null)]
    [InlineData("{\"v\":1,\"id\":23,\"cmd\":\"group_send\",\"group\":\"g\",\"messages\":[\"aGk=\",\"%%%\"]}", ControlErrorCodes.BadRequest, null)]
    [InlineData("{\"v\":1,\"id\":24,\"cmd\":\"group_send\",\"group\":\"g\",\"data\":\"aGk=\",\"messages\":[\"aGk=\"]}", ControlErrorCodes.InvalidArgument, 24L)]
    [InlineData("{\"v\":1,\"id\":25,\"cmd\":\"group_send\",\"group\":\"g\",\"messages\":[\"aGk=\"]}", ControlErrorCodes.GroupState, 25L)]
    [InlineData("{\"v\":1,\"id\":26,\"cmd\":\"group_send\",\"group\":\"g\"}", ControlErrorCodes.InvalidArgument, 26L)]
    public async Task A_bad_frame_gets_an_error_reply_and_the_connection_goes_on(string frame, string code, long? id)
    {
        using var socket = await ConnectRawAsync();

        var reply = await ExchangeAsync(socket, frame);
        var next = await ExchangeAsync(socket, "{\"v\":1,\"id\":99,\"cmd\":\"hello\"}");

        Assert.False(reply.GetProperty("ok").GetBoolean());
        Assert.Equal(code, reply.GetProperty("error").GetProperty("code").GetString());
        Assert.False(string.IsNullOrWhiteSpace(reply.GetProperty("error").GetProperty("message").GetString()));
        Assert.Equal(id, reply.TryGetProperty("id", out var replyId) ? replyId.GetInt64() : null);
        Assert.True(next.GetProperty("ok").GetBoolean());
        Assert.Equal(ControlProtocol.Version, next.GetProperty("hello").GetProperty("protocol_version").GetInt32());
        Assert.True(_server.ErrorReplies >= 1);
    }

    [Fact]
    public async Task A_frame_over_the_size_limit_is_dropped_with_an_error_and_the_next_frame_is_served()
    {
        using var socket = await ConnectRawAsync();
        var huge = "{\"v\":1,\"id\":1,\"cmd\":\"status\",\"group\":\"" + new string('x', ControlProtocol.FrameSizeMax + 10) + "\"}";

        var reply = await ExchangeAsync(socket, huge);
        var next = await ExchangeAsync(socket, "{\"v\":1,\"id\":2,\"cmd\":\"status\"}");

        Assert.Equal(ControlErrorCodes.FrameTooLarge, reply.GetProperty("error").GetProperty("code").GetString());
        Assert.True(next.GetProperty("ok").GetBoolean());
        Assert.Equal("rookery", next.GetProperty("status").GetProperty("cluster").GetProperty("name").GetString());
    }

    [Fact]
    public async Task A_client_that_vanishes_mid_frame_does_not_disturb_the_server()
    {
        using (var socket = await ConnectRawAsync())
        {
            await socket.SendAsync(Encoding.UTF8.GetBytes("{\"v\":1,\"id\":1,\"cm"), Token);
        }

        await using var client = await RookeryClient.ConnectAsync(SocketPath, Token);
        Assert.Equal(1u, (await client.GetStatusAsync(Token)).Quorum.NodeId);
    }

    [Fact]
    public async Task A_second_daemon_on_the_same_socket_is_refused_and_a_stale_socket_is_replaced()
    {
        await using var second = new ControlServer(SocketPath, _node, ClusterLog.Null);
        var error = Assert.Throws<IOException>(second.Start);
        Assert.Contains("already running", error.Message, StringComparison.Ordinal);

        var stalePath = Path.Combine(_directory, "stale.sock");
        using (var stale = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified))
        {
            stale.Bind(new UnixDomainSocketEndPoint(stalePath));
        }

        await using var replacement = new ControlServer(stalePath, _node, ClusterLog.Null);
        replacement.Start();
        await using var client = await RookeryClient.ConnectAsync(stalePath, Token);
        Assert.Equal(1u, (await client.GetStatusAsync(Token)).Quorum.NodeId);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Group_stream_delivers_join_every_message_in_order_and_ends_after_leave(bool overSocket)
    {
        await using var client = overSocket ? await RookeryClient.ConnectAsync(SocketPath, Token) : RookeryClient.InProcess(_node);
        await using var membership = await client.JoinGroupAsync("orders", Token);
        const int count = 200;

        for (var i = 0; i < count; i++)
        {
            await membership.SendAsync(GroupEventFormatter.SequencedPayload((ulong)i, 64), Token);
        }

        await membership.LeaveAsync(Token);
        var events = new List<GroupEvent>();
        await foreach (var groupEvent in membership.ReadEventsAsync(Token))
        {
            events.Add(groupEvent);
        }

        Assert.Equal(GroupEvent.Membership, events[0].Event);
        Assert.Equal((uint)Environment.ProcessId, events[0].Joined![0].Pid);
        var sequences = events.Where(e => e.Event == GroupEvent.Deliver).Select(e => GroupEventFormatter.TryReadSequence(e.Data)).ToArray();
        Assert.Equal(Enumerable.Range(0, count).Select(i => (ulong?)i), sequences);
        Assert.Equal(GroupEvent.Membership, events[^1].Event);
        Assert.Equal(GroupMember.ReasonLeave, events[^1].Left![0].Reason);
        Assert.Equal(0, _node.ActiveSessions);
    }

    [Fact]
    public async Task A_client_that_disconnects_leaves_its_groups()
    {
        var client = await RookeryClient.ConnectAsync(SocketPath, Token);
        await client.JoinGroupAsync("g", Token);
        Assert.Equal(1, _node.ActiveSessions);

        await client.DisposeAsync();

        await WaitUntilAsync(() => _node.ActiveSessions == 0, TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task Joining_the_same_group_twice_on_one_connection_is_refused()
    {
        await using var client = await RookeryClient.ConnectAsync(SocketPath, Token);
        await using var first = await client.JoinGroupAsync("g", Token);

        var error = await Assert.ThrowsAsync<NodeControlException>(() => client.JoinGroupAsync("g", Token));

        Assert.Equal(ControlErrorCodes.GroupState, error.Code);
    }

    private async Task<Socket> ConnectRawAsync()
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(SocketPath), Token);
        return socket;
    }

    private static async Task<JsonElement> ExchangeAsync(Socket socket, string frame)
    {
        await socket.SendAsync(Encoding.UTF8.GetBytes(frame + "\n"), Token);
        var line = new List<byte>();
        var buffer = new byte[1];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(20));
        while (true)
        {
            var read = await socket.ReceiveAsync(buffer, timeout.Token);
            Assert.True(read == 1, "the daemon closed the connection instead of replying");
            if (buffer[0] == (byte)'\n')
            {
                break;
            }

            line.Add(buffer[0]);
        }

        using var document = JsonDocument.Parse(line.ToArray());
        return document.RootElement.Clone();
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan deadline)
    {
        var until = DateTime.UtcNow + deadline;
        while (!condition())
        {
            Assert.True(DateTime.UtcNow < until, $"condition not met within {deadline}");
            await Task.Delay(20, Token);
        }
    }
}
