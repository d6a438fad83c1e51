namespace Rookery.Config;

/// <summary>Which UDP port a link uses, as corosync's knet transport chooses it: the one function for it.</summary>
public static class LinkPorts
{
    /// <summary>corosync's <c>DEFAULT_PORT</c>: link N uses 5405 + N unless <c>interface.mcastport</c> is set.</summary>
    public const int DefaultBasePort = Defaults.McastPortBase;

    /// <summary>
    /// The port for <paramref name="link"/>: <paramref name="mcastport"/> when the link's
    /// <c>interface { mcastport }</c> is set (corosync uses it as given for that link), otherwise 5405 + link number.
    /// The same port is bound locally and used as destination on the peers.
    /// </summary>
    public static int For(LinkId link, int? mcastport = null)
    {
        if (mcastport is { } port)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(port, 1, nameof(mcastport));
            ArgumentOutOfRangeException.ThrowIfGreaterThan(port, ushort.MaxValue, nameof(mcastport));
            return port;
        }

        return DefaultBasePort + link.Value;
    }

    /// <summary>The port of <paramref name="link"/> in <paramref name="config"/>: its interface's <c>mcastport</c> when set and valid, else the default.</summary>
    public static int For(CorosyncConfig config, LinkId link)
    {
        ArgumentNullException.ThrowIfNull(config);
        return For(link, config.Totem.Interface(link)?.Keys.GetUInt32("mcastport") is { } port and >= 1 and <= ushort.MaxValue ? (int)port : null);
    }
}
