using Rookery.Totem;
using Rookery.Wire.Totem;

namespace Rookery.Simulation.Checking;

/// <summary>
/// One entry of a cluster's recorded history: what one process saw or did, at a virtual instant.
/// The checkers consume these one at a time, in the order they happened, so the same code checks a
/// live simulation after every step and a recorded (or hand-written) history in a unit test.
/// </summary>
public abstract record HistoryRecord(Instant At, ProcessId Process);

/// <summary>A process started (a node booted or restarted).</summary>
public sealed record ProcessStarted(Instant At, ProcessId Process) : HistoryRecord(At, Process);

/// <summary>A process stopped (crash); its history ends here.</summary>
public sealed record ProcessStopped(Instant At, ProcessId Process) : HistoryRecord(At, Process);

/// <summary>The workload handed a message to the process, and the process accepted it.</summary>
public sealed record MessageSubmitted(Instant At, ProcessId Process, MessageId Message) : HistoryRecord(At, Process);

/// <summary>Totem delivered a workload message (payload as delivered, to be verified).</summary>
public sealed record MessageDelivered(Instant At, ProcessId Process, NodeId Sender, RingId RingId, ReadOnlyMemory<byte> Payload)
    : HistoryRecord(At, Process);

/// <summary>Totem delivered a configuration change.</summary>
public sealed record ConfigurationRecorded(Instant At, ProcessId Process, ConfigurationChanged Change) : HistoryRecord(At, Process);

/// <summary>The groups layer reported a group membership event.</summary>
public sealed record GroupChangeRecorded(Instant At, ProcessId Process, GroupChange Change) : HistoryRecord(At, Process);

/// <summary>The process's quorum service reported quorum (or its loss) with these members.</summary>
public sealed record QuorumRecorded(Instant At, ProcessId Process, bool Quorate, IReadOnlyList<NodeId> Members) : HistoryRecord(At, Process);
