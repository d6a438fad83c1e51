using System.Net.Sockets;
using System.Text;
using Rookery.Node.Systemd;

namespace Rookery.Node.Tests;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SystemdNotifierTests
{
    [Fact]
    public void Ready_and_stopping_reach_the_notify_socket()
    {
        var directory = Directory.CreateTempSubdirectory("rookery-notify-").FullName;
        try
        {
            var path = Path.Combine(directory, "notify");
            using var systemd = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
            systemd.Bind(new UnixDomainSocketEndPoint(path));
            systemd.ReceiveTimeout = 10_000;
            var notifier = new SystemdNotifier(path);

            Assert.True(notifier.Ready("ring 1.4, quorate"));
            Assert.True(notifier.Stopping());

            Assert.Equal("READY=1\nSTATUS=ring 1.4, quorate", Receive(systemd));
            Assert.Equal("STOPPING=1", Receive(systemd));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void An_abstract_notify_socket_is_addressed_with_a_leading_at_sign()
    {
        var name = $"rookery-test-{Environment.ProcessId}-{Guid.NewGuid():N}";
        using var systemd = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        systemd.Bind(new UnixDomainSocketEndPoint("\0" + name));
        systemd.ReceiveTimeout = 10_000;

        Assert.True(new SystemdNotifier("@" + name).Ready("up"));

        Assert.StartsWith("READY=1", Receive(systemd), StringComparison.Ordinal);
    }

    [Fact]
    public void Without_systemd_nothing_is_sent()
    {
        var notifier = new SystemdNotifier(null);

        Assert.False(notifier.IsEnabled);
        Assert.False(notifier.Ready("up"));
    }

    private static string Receive(Socket socket)
    {
        var buffer = new byte[1024];
        return Encoding.UTF8.GetString(buffer, 0, socket.Receive(buffer));
    }
}
