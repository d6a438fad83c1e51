namespace Rookery.Links;

/// <summary>
/// Caller-owned output of the links core (the <see cref="CoreOutput{TDatagram, TEvent}"/> contract): sealed UDP payloads
/// to send on their (link, destination), then the events for the layer above in the order they happened, and the KNET
/// log lines. The links core has no state to persist (the knet sequence lease, <see cref="TxSequenceLease"/>, is the
/// shell's, read from <see cref="LinkLayer.TxSequence"/>).
/// </summary>
/// <remarks>
/// <para>Events of one call are in causal order: <see cref="LinkDown"/> or <see cref="LinkUp"/>, then
/// <see cref="ActiveLinksChanged"/>, then <see cref="PeerReachable"/> / <see cref="PeerUnreachable"/>; a
/// <see cref="Delivered"/> message sits where it was reassembled.</para>
/// <para>Every event but <see cref="Delivered"/> comes with one log record, added with it: subsystem KNET, knet's
/// wording (<see cref="LinkEvent.LogLine"/>), <see cref="LinkEvent.Level"/>, the peer and link as fields. A driver logs
/// <see cref="CoreOutput{TDatagram, TEvent}.Logs"/> and never formats an event itself.</para>
/// </remarks>
public sealed class LinkOutput : CoreOutput<LinkDatagram, LinkEvent>
{
    /// <summary>Appends <paramref name="linkEvent"/> and, unless it is a delivery, its log record.</summary>
    internal void Report(LinkEvent linkEvent)
    {
        Events.Add(linkEvent);
        if (linkEvent is not Delivered)
        {
            Logs.Add(new LogEntry(LogSubsystem.Knet, linkEvent.Level, linkEvent.LogLine, linkEvent.Fields));
        }
    }
}
