using Rookery.Config;
using Rookery.Wire.Knet;

namespace Rookery.Links;

/// <summary>Node-wide options of the links core.</summary>
public sealed record LinkLayerOptions
{
    /// <summary>Link policy for every peer.</summary>
    /// <value>Passive by default (corosync <c>totem.link_mode</c>).</value>
    public LinkPolicy Policy { get; init; } = LinkPolicy.Passive;

    /// <summary>
    /// The sequence number this incarnation's first data packet follows (knet: 0). The shell passes
    /// <see cref="TxSequenceLease.Start"/> so a restarted node never reuses its recent sequence numbers.
    /// </summary>
    public ushort InitialTxSequence { get; init; }

    /// <summary>The crypto configuration used to send (and tried first on receive).</summary>
    /// <value>Clear text by default; corosync <c>secauth: on</c> means aes256 + sha256 with the authkey.</value>
    public KnetCrypto Crypto { get; init; } = KnetCrypto.Clear;

    /// <summary>Period of path MTU discovery per link.</summary>
    /// <value>30 s by default (corosync <c>totem.knet_pmtud_interval</c>).</value>
    public Duration PmtudInterval { get; init; } = LinksDefaults.PmtudInterval;

    /// <summary>Fixed interface MTU instead of discovery; 0 = discover.</summary>
    /// <value>0 by default (corosync <c>totem.knet_mtu</c>).</value>
    public int ManualMtu { get; init; }

    /// <summary>
    /// The options a corosync.conf sets: <c>totem.link_mode</c>, <c>knet_pmtud_interval</c> and <c>knet_mtu</c> (crypto and
    /// local delivery are the shell's to add).
    /// </summary>
    public static LinkLayerOptions From(TotemConfig totem)
    {
        ArgumentNullException.ThrowIfNull(totem);
        return new LinkLayerOptions
        {
            Policy = totem.LinkMode switch
            {
                "active" => LinkPolicy.Active,
                "rr" => LinkPolicy.RoundRobin,
                _ => LinkPolicy.Passive,
            },
            PmtudInterval = Duration.FromSeconds(totem.KnetPmtudInterval),
            ManualMtu = (int)Math.Min(totem.KnetMtu, (uint)ushort.MaxValue),
        };
    }

    /// <summary>Deliver broadcasts (and messages addressed to this node) locally, as knet's loopback link does for corosync.</summary>
    /// <value>On by default.</value>
    public bool DeliverToSelf { get; init; } = true;
}
