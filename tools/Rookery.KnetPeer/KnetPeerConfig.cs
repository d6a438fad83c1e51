using System.Net;
using Rookery.Config;
using Rookery.Links;
using Rookery.Node.Transport;
using Rookery.Wire.Knet;

namespace Rookery.KnetPeer;

/// <summary>One peer of the endpoint: its node id and its address on each link (corosync's <c>ringN_addr</c>).</summary>
public sealed record KnetPeerNode(NodeId Node, IReadOnlyDictionary<LinkId, IPAddress> Addresses);

/// <summary>
/// What a knet link endpoint needs to join a corosync cluster's link layer as one node: its id, its
/// address per link, the peers, the crypto (secauth: aes256 + sha256 with the authkey) and the link options.
/// </summary>
public sealed record KnetPeerConfig
{
    public required NodeId LocalNode { get; init; }

    /// <summary>The local address of each link; one socket is bound per entry on <see cref="LinkPorts.For(LinkId, int?)"/>.</summary>
    public required IReadOnlyDictionary<LinkId, IPAddress> LocalAddresses { get; init; }

    public required IReadOnlyList<KnetPeerNode> Peers { get; init; }

    /// <summary>Crypto in force (corosync <c>secauth: on</c> = aes256 + sha256 keyed with the authkey).</summary>
    public KnetCrypto Crypto { get; init; } = KnetCrypto.Clear;

    /// <summary><c>knet_link_priority</c> per link; links not listed use the default.</summary>
    public IReadOnlyDictionary<LinkId, byte> Priorities { get; init; } = new Dictionary<LinkId, byte>();

    /// <summary>Failure-detection timers of every link (Rookery's fast detection unless set).</summary>
    public LinkTimingOptions Timing { get; init; } = LinkTimingOptions.Fast;

    public LinkPolicy Policy { get; init; } = LinkPolicy.Passive;

    /// <summary><c>interface.mcastport</c> per link, when set.</summary>
    public IReadOnlyDictionary<LinkId, int> McastPorts { get; init; } = new Dictionary<LinkId, int>();

    public int PortOf(LinkId link) => LinkPorts.For(link, McastPorts.TryGetValue(link, out var port) ? port : null);

    /// <summary>corosync's secauth defaults: aes256 + sha256, keyed with the authkey as knet takes it.</summary>
    public static KnetCrypto SecAuth(ReadOnlySpan<byte> authKey) => KnetCrypto.Create(KnetCipher.Aes256, KnetHash.Sha256, authKey);
}
