namespace Rookery.Node.Transport;

/// <summary>Which UDP port a link uses, as corosync's knet transport chooses it.</summary>
public static class LinkPorts
{
    /// <summary>corosync's <c>DEFAULT_PORT</c>: link N uses 5405 + N unless <c>interface.mcastport</c> is set.</summary>
    public const int DefaultBasePort = 5405;

    /// <summary>
    /// The port for <paramref name="link"/>: <paramref name="mcastport"/> when the link's
    /// <c>interface { mcastport }</c> is set (corosync uses it as given for that link), otherwise 5405 + link number.
    /// The same port is bound locally and used as destination on the peers.
    /// </summary>
    public static int For(LinkId link, int? mcastport = null)
    {
        Invariant.Require(link.IsValid);
        if (mcastport is { } port)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(port, 1, nameof(mcastport));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(port, ushort.MaxValue, nameof(mcastport));
            return port;
        }

        return DefaultBasePort + link.Value;
    }
}
