using System.Net;
using Rookery.Links;
using Rookery.Node.Shell;
using Rookery.Node.Transport;

namespace Rookery.Node.Tests.Transport;

/// <summary>
/// Goal: one link shell for the daemon and the knet peer tool (issue 9, point 7): a send the path cannot carry
/// (EMSGSIZE) goes straight back to the link layer, so PMTUD learns it at once instead of waiting for the probe's
/// timeout; only datagrams from a configured address of a peer on that link get in; faults name the peer.
/// Method: <see cref="LinkSockets"/> on real loopback sockets, with a recorder standing in for the pure side (the
/// daemon hands it its <c>NodeStack</c>, the tool its link layer); the daemon's <see cref="LinkShell"/> and the tool's
/// endpoint are checked to be built on it.
/// </summary>
public sealed class LinkSocketsTests
{
    private static readonly IPEndPoint LoopbackAnyPort = new(IPAddress.Loopback, 0);

    [Fact]
    public async Task A_send_too_big_for_the_path_is_reported_to_the_link_layer_at_once()
    {
        using var sockets = new LinkSockets(new UdpTransport(new MonotonicClock()));
        using var peer = new UdpTransport(new MonotonicClock());
        sockets.Transport.Open(new LinkId(1), LoopbackAnyPort);
        var peerAddress = peer.Open(new LinkId(1), LoopbackAnyPort).LocalEndPoint;
        sockets.SetAddress(new NodeId(2), new LinkId(1), peerAddress);
        var input = new Recorder();
        var now = sockets.Transport.Clock.Now;
        List<LinkDatagram> datagrams =
        [
            new(new LinkId(1), new NodeId(2), new byte[Limits.DatagramSizeMax + 1]),
            new(new LinkId(1), new NodeId(2), [1, 2, 3]),
        ];

        sockets.Send(now, datagrams, input);

        Assert.Equal(["too big: node 2 link 1 mtu 0"], input.Calls);
        Assert.Equal(1, sockets.SendsTooBig);
        Assert.Empty(datagrams);
        Assert.True(await peer.WaitForInputAsync(peer.Clock.Now + Duration.FromSeconds(5), TestContext.Current.CancellationToken));
        Assert.True(peer.Datagrams.TryRead(out var small));
        Assert.Equal([1, 2, 3], small.Payload.ToArray());
    }

    [Fact]
    public async Task Only_a_configured_peer_address_on_its_link_gets_in()
    {
        using var sockets = new LinkSockets(new UdpTransport(new MonotonicClock()));
        using var peer = new UdpTransport(new MonotonicClock());
        using var stranger = new UdpTransport(new MonotonicClock());
        var local = sockets.Transport.Open(new LinkId(0), LoopbackAnyPort).LocalEndPoint;
        var peerAddress = peer.Open(new LinkId(0), LoopbackAnyPort).LocalEndPoint;
        stranger.Open(new LinkId(0), LoopbackAnyPort);
        sockets.SetAddress(new NodeId(2), new LinkId(0), peerAddress);
        var input = new Recorder();

        peer.Send(new LinkId(0), local, [7]);
        stranger.Send(new LinkId(0), local, [8]);
        Assert.True(await Eventually.TrueAsync(() => sockets.Transport.Datagrams.Count == 2, TimeSpan.FromSeconds(5)));
        sockets.Pump(sockets.Transport.Clock.Now, input);

        Assert.Equal(["receive link 0: 07"], input.Calls);
        Assert.Equal(1, sockets.DatagramsFromUnknownSources);
    }

    [Fact]
    public void The_daemon_and_the_knet_peer_tool_share_this_link_shell()
    {
        const System.Reflection.BindingFlags Fields = System.Reflection.BindingFlags.NonPublic | System.Reflection.BindingFlags.Instance;
        Assert.Contains(typeof(LinkShell).GetFields(Fields), f => f.FieldType == typeof(LinkSockets));
        Assert.Contains(typeof(KnetPeer.KnetPeerEndpoint).GetFields(Fields), f => f.FieldType == typeof(LinkSockets));
    }

    /// <summary>The pure side as the shell sees it, recording each call in a line.</summary>
    private sealed class Recorder : ILinkInput
    {
        public List<string> Calls { get; } = [];

        public void Receive(Instant now, LinkId link, ReadOnlySpan<byte> datagram) => Calls.Add($"receive link {link}: {Convert.ToHexString(datagram)}");

        public void ReportTransportError(Instant now, NodeId peer, LinkId link) => Calls.Add($"fault: node {peer} link {link}");

        public void ReportMessageTooBig(Instant now, NodeId peer, LinkId link, int pathMtu) => Calls.Add($"too big: node {peer} link {link} mtu {pathMtu}");
    }
}
