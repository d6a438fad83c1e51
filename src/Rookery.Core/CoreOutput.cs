namespace Rookery;

/// <summary>
/// The output contract of the cores and of their composition, in the spirit of etcd raft's <c>Ready</c>: one call into
/// a core (an input, a tick, a command) appends what it wants done to a caller-owned output of this shape, and the
/// driver (the daemon's shell, the simulator, a test) carries it out before the next call, then clears it. A core
/// never performs I/O itself; its output is the whole of its effect on the world.
/// </summary>
/// <remarks>
/// <para>What an output holds: <see cref="Datagrams"/> to send, <see cref="Events"/> for the layer above, <see cref="Logs"/>
/// in the one log vocabulary (<see cref="LogPriority"/>, corosync's subsystems and wording), and, in the derived type,
/// state to persist (Totem's ring sequence, votequorum's tracking barrier).</para>
/// <para>Ordering rules, for every driver:</para>
/// <list type="number">
/// <item>Persist first: state to persist is written (durably) before any datagram of the same output leaves, because
/// those datagrams may already carry it (a ring sequence reused after a restart would confuse the other nodes).</item>
/// <item>Then send the datagrams, in list order (a broadcast's copies are consecutive and may share one byte array:
/// treat the bytes as read-only).</item>
/// <item>Then hand the events up, in list order: it is the order the core decided them in (Totem's agreed order,
/// a configuration change before the deliveries of the new ring). Events are never reordered, merged or dropped.</item>
/// <item>Logs are written in their own list order; their position relative to datagrams and events carries no meaning.</item>
/// </list>
/// <para>The derived types, one per core, are what the cores' entry points take: <c>LinkOutput</c> (links),
/// <c>TotemOutput</c>, <c>QuorumOutput</c> (votequorum, with the tracking barrier to persist), <c>GroupsOutput</c> (process
/// groups) and the node composition's <c>StackOutput</c>. Each core writes its own log records; a driver never formats an
/// event into a log line.</para>
/// <para>Outputs accumulate across calls until drained, so a driver may make several calls and drain once, as long as it
/// drains before it sleeps. Every loop a core or router runs is bounded by a named limit that says why it is enough.</para>
/// </remarks>
/// <typeparam name="TDatagram">What goes to the layer below (Totem's datagrams to the link layer, link datagrams to the sockets).</typeparam>
/// <typeparam name="TEvent">What goes to the layer above.</typeparam>
public abstract class CoreOutput<TDatagram, TEvent>
{
    /// <summary>Datagrams to send, in order.</summary>
    public List<TDatagram> Datagrams { get; } = [];

    /// <summary>Events for the layer above, in the order the core decided them.</summary>
    public List<TEvent> Events { get; } = [];

    /// <summary>Log records, in order.</summary>
    public List<LogEntry> Logs { get; } = [];

    /// <summary>True when nothing is waiting to be carried out.</summary>
    public virtual bool IsEmpty => Datagrams.Count == 0 && Events.Count == 0 && Logs.Count == 0;

    /// <summary>Forgets everything (the driver calls it once it has carried the output out).</summary>
    public virtual void Clear()
    {
        Datagrams.Clear();
        Events.Clear();
        Logs.Clear();
    }
}
