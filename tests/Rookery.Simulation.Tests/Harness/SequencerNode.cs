using System.Buffers.Binary;
using Rookery.Simulation.Harness;
using Rookery.Totem;
using Rookery.Wire.Totem;

namespace Rookery.Simulation.Tests.Harness;

/// <summary>
/// A test double for the driver: a fixed-sequencer total order over bytes on link 0 (node 1 orders,
/// everyone delivers in sequence), one static ring. It needs a lossless network and has no
/// membership; it exists to test the harness (driver, trace, checkers wiring), not a protocol.
/// <see cref="SwapAt"/> plants a bug: node 2 delivers ordered messages SwapAt and SwapAt+1 swapped.
/// </summary>
internal sealed class SequencerNode : ISimulatedNode
{
    private const byte SubmitType = 1;
    private const byte OrderType = 2;
    private static readonly RingId Ring = new(new NodeId(1), 4);

    private readonly IReadOnlyList<NodeId> _nodes;
    private readonly SortedDictionary<ulong, (NodeId Sender, byte[] Payload)> _pending = [];
    private bool _announced;
    private ulong _nextOrder = 1;
    private ulong _nextDeliver = 1;

    public SequencerNode(NodeEnvironment environment, ulong? swapAt = null)
    {
        Id = environment.Id;
        _nodes = environment.Nodes;
        NextDeadline = environment.Now;
        SwapAt = swapAt;
    }

    public NodeId Id { get; }

    public ulong? SwapAt { get; }

    public Instant NextDeadline { get; private set; }

    public LinkId? ActiveLink(NodeId peer) => new LinkId(0);

    public void Tick(Instant now, NodeOutput output)
    {
        if (!_announced)
        {
            _announced = true;
            output.Add(new ConfigurationChanged(ConfigurationKind.Regular, Ring, _nodes, [], _nodes));
        }

        NextDeadline = Instant.Never;
    }

    public bool TrySubmit(Instant now, ReadOnlyMemory<byte> payload, NodeOutput output)
    {
        if (!_announced)
        {
            return false;
        }

        if (Id.Value == 1)
        {
            Order(Id, payload.Span, output);
        }
        else
        {
            output.Datagrams.Add(new OutgoingDatagram(new NodeId(1), new LinkId(0), [SubmitType, .. payload.Span]));
        }

        return true;
    }

    public void Receive(Instant now, LinkId link, NodeId from, ReadOnlyMemory<byte> datagram, NodeOutput output)
    {
        var bytes = datagram.Span;
        if (bytes[0] == SubmitType && Id.Value == 1)
        {
            Order(from, bytes[1..], output);
        }
        else if (bytes[0] == OrderType)
        {
            var order = BinaryPrimitives.ReadUInt64LittleEndian(bytes[1..9]);
            var sender = new NodeId(BinaryPrimitives.ReadUInt32LittleEndian(bytes[9..13]));
            _pending[order] = (sender, bytes[13..].ToArray());
            DeliverReady(output);
        }
    }

    private void Order(NodeId sender, ReadOnlySpan<byte> payload, NodeOutput output)
    {
        var datagram = new byte[13 + payload.Length];
        datagram[0] = OrderType;
        BinaryPrimitives.WriteUInt64LittleEndian(datagram.AsSpan(1, 8), _nextOrder++);
        BinaryPrimitives.WriteUInt32LittleEndian(datagram.AsSpan(9, 4), sender.Value);
        payload.CopyTo(datagram.AsSpan(13));
        foreach (var node in _nodes)
        {
            if (node != Id)
            {
                output.Datagrams.Add(new OutgoingDatagram(node, new LinkId(0), datagram));
            }
        }

        Receive(Instant.Zero, new LinkId(0), Id, datagram, output);
    }

    private void DeliverReady(NodeOutput output)
    {
        while (true)
        {
            if (Id.Value == 2 && _nextDeliver == SwapAt)
            {
                if (!_pending.ContainsKey(_nextDeliver) || !_pending.ContainsKey(_nextDeliver + 1))
                {
                    return;
                }

                Deliver(_nextDeliver + 1, output);
                Deliver(_nextDeliver, output);
                _nextDeliver += 2;
                continue;
            }

            if (!_pending.ContainsKey(_nextDeliver))
            {
                return;
            }

            Deliver(_nextDeliver++, output);
        }
    }

    private void Deliver(ulong order, NodeOutput output)
    {
        _pending.Remove(order, out var message);
        output.Add(new Delivered(message.Sender, Ring, message.Payload));
    }
}
