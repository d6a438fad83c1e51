using System.Buffers.Binary;
using Rookery.Groups;
using Rookery.Quorum;
using Rookery.Services;
using Rookery.Totem;
using Rookery.Wire.Services;
using Rookery.Wire.Totem;

namespace Rookery.Node.Tests.Services;

/// <summary>
/// Goal: the cfg messages only corosync sends are acted on as corosync acts on them (exec/cfg.c): KILLNODE
/// (<c>corosync-cfgtool -k</c>) makes the named node log "Killed by node N : reason" and exit, and leaves the others
/// alone; CRYPTO_RECONFIG from another node is ignored (corosync acts only on its own). Neither is counted as malformed.
/// Method: corosync's layouts (288 and 24 bytes) decoded by the codec, then delivered in agreed order to a service layer.
/// </summary>
public sealed class CfgKillNodeTests
{
    private static readonly RingId Ring = CorosyncCapture.Ring(1, 0x1f);

    [Fact]
    public void KillNode_has_corosyncs_layout_and_round_trips()
    {
        var message = CfgMessages.EncodeKillNode(2, "maintenance");
        Assert.Equal(288, message.Length);
        Assert.Equal(ServiceIds.Make(ServiceIds.Cfg, CfgMessages.KillNodeFunction), BinaryPrimitives.ReadInt32LittleEndian(message));
        Assert.Equal(2u, BinaryPrimitives.ReadUInt32LittleEndian(message.AsSpan(16)));
        Assert.Equal(11, BinaryPrimitives.ReadUInt16LittleEndian(message.AsSpan(24)));
        Assert.Equal(ServiceDecodeStatus.Ok, CfgMessages.TryDecode(message, out var decoded));
        Assert.Equal((CfgMessages.KillNodeFunction, 2u, "maintenance"), (decoded.Function, decoded.NodeId, decoded.Reason));

        // A length beyond the 256 bytes of the name is cut there; the truncations are refused.
        BinaryPrimitives.WriteUInt16LittleEndian(message.AsSpan(24), 60000);
        Assert.Equal(ServiceDecodeStatus.Ok, CfgMessages.TryDecode(message, out decoded));
        Assert.Equal("maintenance", decoded.Reason);
        Assert.Equal(ServiceDecodeStatus.Truncated, CfgMessages.TryDecode(message.AsSpan(0, 287), out _));
    }

    [Fact]
    public void The_named_node_is_killed_and_the_others_only_note_the_request()
    {
        var kill = CfgMessages.EncodeKillNode(2, "maintenance");

        var target = Deliver(local: 2, kill, out var targetLayer);
        var requested = Assert.Single(target.OfType<NodeKillRequested>());
        Assert.Equal((new NodeId(1), "maintenance"), (requested.From, requested.Reason));
        Assert.Contains(target.OfType<ServiceLog>(), l => l.Text == "Killed by node 1 : maintenance" && l.Priority == LogPriority.Notice);
        Assert.Equal(0, targetLayer.MalformedMessages);

        var other = Deliver(local: 3, kill, out var otherLayer);
        Assert.Empty(other.OfType<NodeKillRequested>());
        Assert.Contains(other.OfType<ServiceLog>(), l => l.Text == "request to kill node 2 (us=3)");
        Assert.Equal(0, otherLayer.MalformedMessages);
    }

    [Fact]
    public void Another_nodes_crypto_reconfig_is_accepted_and_ignored()
    {
        var reconfig = new byte[CfgMessages.CryptoReconfigSize];
        ServiceHeader.Write(reconfig, ServiceIds.Make(ServiceIds.Cfg, CfgMessages.CryptoReconfigFunction), reconfig.Length);
        BinaryPrimitives.WriteUInt32LittleEndian(reconfig.AsSpan(16), 1);

        var outputs = Deliver(local: 3, reconfig, out var layer);
        Assert.Equal(0, layer.MalformedMessages);
        Assert.DoesNotContain(outputs, o => o is NodeKillRequested or ReloadRequested or NodeShutdownAnnounced);
    }

    /// <summary>A service layer of <paramref name="local"/> in a ring of 1, 2, 3, with <paramref name="message"/> from node 1 delivered to it.</summary>
    private static List<ServiceOutput> Deliver(uint local, byte[] message, out ServiceLayer layer)
    {
        var node = new NodeId(local);
        var quorum = QuorumConfiguration.Resolve(new QuorumSettings { LocalNode = node, ExpectedVotes = 3 }, [], out var error)
            ?? throw new InvalidOperationException(error);
        layer = new ServiceLayer(node, 1, new Votequorum(quorum), new ProcessGroups(node));
        var outputs = new List<ServiceOutput>();
        var now = Instant.FromMilliseconds(1000);
        layer.Start(now, outputs);
        layer.OnTotemEvent(now, new ConfigurationChanged(ConfigurationKind.Regular, Ring, [new NodeId(1), new NodeId(2), new NodeId(3)], [], []), outputs);
        outputs.Clear();
        layer.OnTotemEvent(now, new Delivered(new NodeId(1), Ring, GroupHeader.Wrap(GroupHeader.Executive, message)), outputs);
        return outputs;
    }
}
