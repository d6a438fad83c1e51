using System.Net.Sockets;
using System.Text;

namespace Rookery.Node.Systemd;

/// <summary>
/// sd_notify(3): tells systemd about the service's state with a datagram on <c>$NOTIFY_SOCKET</c>
/// (<c>Type=notify</c>). <c>READY=1</c> once the node is in a ring, <c>STOPPING=1</c> on shutdown, <c>STATUS=…</c>
/// for <c>systemctl status</c>, <c>WATCHDOG=1</c> from the node's loop when the unit sets <c>WatchdogSec=</c>.
/// Without <c>NOTIFY_SOCKET</c> every call does nothing.
/// </summary>
public sealed class SystemdNotifier
{
    private readonly string? _socketPath;

    /// <param name="socketPath">The notify socket; a leading <c>@</c> names an abstract socket.</param>
    /// <param name="watchdogInterval">systemd's watchdog timeout for this process (<see cref="WatchdogTimeout"/>), null without one.</param>
    public SystemdNotifier(string? socketPath, TimeSpan? watchdogInterval = null)
    {
        _socketPath = string.IsNullOrEmpty(socketPath) ? null : socketPath;
        WatchdogInterval = _socketPath is null ? null : watchdogInterval;
    }

    /// <summary>The notifier for this process (<c>NOTIFY_SOCKET</c>, <c>WATCHDOG_USEC</c>, <c>WATCHDOG_PID</c>).</summary>
    public static SystemdNotifier FromEnvironment() => FromEnvironment(Environment.GetEnvironmentVariable, Environment.ProcessId);

    /// <summary>The notifier an environment describes; <paramref name="processId"/> is this process (for <c>WATCHDOG_PID</c>).</summary>
    public static SystemdNotifier FromEnvironment(Func<string, string?> environment, int processId) =>
        new(environment("NOTIFY_SOCKET"), WatchdogTimeout(environment, processId));

    /// <summary>
    /// sd_watchdog_enabled(3): the timeout in <c>WATCHDOG_USEC</c> when it is set, positive, and meant for this
    /// process (<c>WATCHDOG_PID</c> unset or equal to <paramref name="processId"/>); null otherwise.
    /// </summary>
    public static TimeSpan? WatchdogTimeout(Func<string, string?> environment, int processId)
    {
        if (!ulong.TryParse(environment("WATCHDOG_USEC"), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var microseconds)
            || microseconds == 0 || microseconds > long.MaxValue / 10)
        {
            return null;
        }

        var pid = environment("WATCHDOG_PID");
        if (!string.IsNullOrEmpty(pid) && pid != processId.ToString(System.Globalization.CultureInfo.InvariantCulture))
        {
            return null;
        }

        return TimeSpan.FromMicroseconds(microseconds);
    }

    public bool IsEnabled => _socketPath is not null;

    /// <summary>systemd's watchdog timeout (<c>WatchdogSec=</c>); null when systemd does not watch this process.</summary>
    public TimeSpan? WatchdogInterval { get; }

    /// <summary>How often the loop sends <c>WATCHDOG=1</c>: half the timeout, as sd_watchdog_enabled(3) advises.</summary>
    public TimeSpan? WatchdogPingInterval => WatchdogInterval / 2;

    /// <summary>The keep-alive ping; sent by the node's loop thread itself, so a stuck loop stops it and systemd restarts the node.</summary>
    public bool Watchdog() => Notify("WATCHDOG=1");

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
