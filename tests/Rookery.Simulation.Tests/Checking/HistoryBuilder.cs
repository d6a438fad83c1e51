using Rookery.Simulation.Checking;
using Rookery.Totem;
using Rookery.Wire.Totem;

namespace Rookery.Simulation.Tests.Checking;

/// <summary>Writes histories by hand for the checker tests: nodes are numbers, incarnation 0, time advances 1 ms per record.</summary>
internal sealed class HistoryBuilder
{
    private readonly List<HistoryRecord> _records = [];
    private long _milliseconds;

    public IReadOnlyList<HistoryRecord> Records => _records;

    public static ProcessId P(uint node) => new(new NodeId(node), 0);

    public static RingId Ring(uint representative, ulong sequence) => new(new NodeId(representative), sequence);

    public static MessageId M(uint node, ulong sequence) => new(P(node), sequence);

    public HistoryBuilder Start(params uint[] nodes)
    {
        foreach (var node in nodes)
        {
            Add(new ProcessStarted(Now(), P(node)));
        }

        return this;
    }

    public HistoryBuilder Regular(RingId ring, uint[] members, uint[] joined, params uint[] on)
    {
        foreach (var node in on)
        {
            Add(new ConfigurationRecorded(Now(), P(node), new ConfigurationChanged(ConfigurationKind.Regular, ring, Ids(members), [], Ids(joined))));
        }

        return this;
    }

    public HistoryBuilder Transitional(RingId ring, uint[] members, uint[] left, params uint[] on)
    {
        foreach (var node in on)
        {
            Add(new ConfigurationRecorded(Now(), P(node), new ConfigurationChanged(ConfigurationKind.Transitional, ring, Ids(members), Ids(left), [])));
        }

        return this;
    }

    public HistoryBuilder Submit(uint node, ulong sequence)
    {
        Add(new MessageSubmitted(Now(), P(node), M(node, sequence)));
        return this;
    }

    public HistoryBuilder Deliver(uint node, MessageId message, RingId ring) =>
        DeliverBytes(node, message.Sender.Node, ring, MessageStamp.Create(message, 64));

    public HistoryBuilder DeliverBytes(uint node, NodeId sender, RingId ring, byte[] payload)
    {
        Add(new MessageDelivered(Now(), P(node), sender, ring, payload));
        return this;
    }

    /// <summary>Every listed node delivers the same messages in the same order.</summary>
    public HistoryBuilder DeliverAll(RingId ring, uint[] on, params MessageId[] messages)
    {
        foreach (var node in on)
        {
            foreach (var message in messages)
            {
                Deliver(node, message, ring);
            }
        }

        return this;
    }

    public HistoryBuilder Group(uint node, GroupChange change)
    {
        Add(new GroupChangeRecorded(Now(), P(node), change));
        return this;
    }

    public HistoryBuilder Stop(uint node)
    {
        Add(new ProcessStopped(Now(), P(node)));
        return this;
    }

    private static NodeId[] Ids(uint[] nodes) => nodes.Select(n => new NodeId(n)).ToArray();

    private Instant Now() => Instant.FromMilliseconds(++_milliseconds);

    private void Add(HistoryRecord record) => _records.Add(record);
}
