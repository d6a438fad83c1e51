using System.Net.Sockets;
using System.Text;
using Rookery.Node.Shell;

namespace Rookery.Node.Tests.Shell;

/// <summary>
/// The daemon's sd_notify protocol against a fake systemd: a datagram socket named by <c>NOTIFY_SOCKET</c>. READY=1
/// only once the node is in an operational ring and its first sync completed; STOPPING=1 when it is told to stop.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class SystemdNotifyTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rookery-notify-").FullName;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task The_daemon_says_ready_after_its_first_ring_and_sync_and_stopping_when_stopped()
    {
        var address = $"127.{20 + (Environment.ProcessId % 80)}.7.1";
        var config = Path.Combine(_directory, "corosync.conf");
        await File.WriteAllTextAsync(config,
            "totem {\n version: 2\n cluster_name: notify\n config_version: 1\n crypto_cipher: none\n crypto_hash: none\n}\n" +
            "logging {\n to_stderr: yes\n to_syslog: no\n timestamp: off\n}\nquorum {\n provider: corosync_votequorum\n}\n" +
            $"nodelist {{\n node {{\n  name: solo\n  nodeid: 1\n  ring0_addr: {address}\n }}\n}}\n", Token);
        var notifyPath = Path.Combine(_directory, "notify");
        using var systemd = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        systemd.Bind(new UnixDomainSocketEndPoint(notifyPath));
        var stderr = new LockedWriter();
        var environment = new Dictionary<string, string> { ["NOTIFY_SOCKET"] = notifyPath };
        using var stop = new CancellationTokenSource();
        var options = new NodeOptions { ConfigPath = config, StateDirectory = Path.Combine(_directory, "state"), NodeName = "solo" };

        var daemon = Task.Run(() => NodeHost.RunAsync(options, stderr, k => environment.GetValueOrDefault(k), stop.Token), Token);

        var ready = await ReceiveAsync(systemd);
        var logAtReady = stderr.ToString();
        Assert.StartsWith("READY=1\nSTATUS=ring 1.", ready, StringComparison.Ordinal);
        Assert.EndsWith(", 1 members, quorate", ready, StringComparison.Ordinal);
        Assert.Contains("[TOTEM ] A new membership (1.", logAtReady, StringComparison.Ordinal);
        Assert.Contains("[MAIN  ] Completed service synchronization, ready to provide service.", logAtReady, StringComparison.Ordinal);
        Assert.True(
            logAtReady.IndexOf("A new membership (1.", StringComparison.Ordinal) < logAtReady.IndexOf("Completed service synchronization", StringComparison.Ordinal),
            logAtReady);

        await stop.CancelAsync();
        Assert.Equal("STOPPING=1", await ReceiveAsync(systemd));
        Assert.Equal(0, await daemon.WaitAsync(TimeSpan.FromSeconds(60), Token));
        Assert.Contains("[MAIN  ] Rookery Cluster Engine exiting normally", stderr.ToString(), StringComparison.Ordinal);
    }

    private static async Task<string> ReceiveAsync(Socket socket)
    {
        var buffer = new byte[4096];
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        var received = await socket.ReceiveAsync(buffer, SocketFlags.None, timeout.Token);
        return Encoding.UTF8.GetString(buffer, 0, received);
    }

    /// <summary>stderr of the daemon, written from its loop thread and read by the test.</summary>
    private sealed class LockedWriter : StringWriter
    {
        private readonly Lock _lock = new();

        public override void Write(char value)
        {
            lock (_lock)
            {
                base.Write(value);
            }
        }

        public override void Write(string? value)
        {
            lock (_lock)
            {
                base.Write(value);
            }
        }

        public override void WriteLine(string? value)
        {
            lock (_lock)
            {
                base.WriteLine(value);
            }
        }

        public override string ToString()
        {
            lock (_lock)
            {
                return base.ToString();
            }
        }
    }
}
