using System.Net.Sockets;
using System.Text;

namespace Rookery.Node.Systemd;

/// <summary>
/// sd_notify(3): tells systemd about the service's state with a datagram on <c>$NOTIFY_SOCKET</c>
/// (<c>Type=notify</c>). <c>READY=1</c> once the node is in a ring, <c>STOPPING=1</c> on shutdown, <c>STATUS=…</c>
/// for <c>systemctl status</c>. Without <c>NOTIFY_SOCKET</c> every call does nothing.
/// </summary>
public sealed class SystemdNotifier
{
    private readonly string? _socketPath;

    /// <param name="socketPath">The notify socket; a leading <c>@</c> names an abstract socket.</param>
    public SystemdNotifier(string? socketPath) => _socketPath = string.IsNullOrEmpty(socketPath) ? null : socketPath;

    /// <summary>The notifier for this process (<c>NOTIFY_SOCKET</c>).</summary>
    public static SystemdNotifier FromEnvironment() => new(Environment.GetEnvironmentVariable("NOTIFY_SOCKET"));

    public bool IsEnabled => _socketPath is not null;

    public bool Ready(string status) => Notify($"READY=1\nSTATUS={status}");

    public bool Stopping() => Notify("STOPPING=1");

    public bool Status(string status) => Notify($"STATUS={status}");

    /// <summary>Sends one state string; false when not under systemd or the send failed (never throws).</summary>
    public bool Notify(string state)
    {
        if (_socketPath is null)
        {
            return false;
        }

        var path = _socketPath[0] == '@' ? "\0" + _socketPath[1..] : _socketPath;
        try
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            socket.SendTo(Encoding.UTF8.GetBytes(state), new UnixDomainSocketEndPoint(path));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
