namespace Rookery.Links;

/// <summary>Outcome of <c>LinkLayer.Send</c> and <see cref="LinkLayer.Broadcast"/>.</summary>
public enum SendStatus
{
    /// <summary>Datagrams were produced for at least one destination (or the message was delivered locally).</summary>
    Sent,

    /// <summary>No destination was reachable; the message was dropped and counted (knet: EHOSTDOWN).</summary>
    NoReachableDestination,

    /// <summary>The message is larger than <see cref="LinksLimits.MessageSizeMax"/>.</summary>
    TooLarge,
}
