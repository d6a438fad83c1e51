namespace Rookery.Links;

/// <summary>
/// One UDP payload to send on <paramref name="Link"/> to <paramref name="Destination"/>; the shell maps
/// (link, destination) to its socket and address. <paramref name="Bytes"/> may be shared by several
/// datagrams of one broadcast (knet sends the identical sealed bytes to every host): treat it as read-only.
/// </summary>
public readonly record struct LinkDatagram(LinkId Link, NodeId Destination, byte[] Bytes);
