using System.Net;

namespace Rookery.Node.Shell;

/// <summary>How a node process starts (the <c>rookery daemon</c> options, architecture.md §4).</summary>
public sealed record NodeOptions
{
    /// <value>/etc/rookery/corosync.conf by default (<c>--config FILE</c>).</value>
    public string ConfigPath { get; init; } = NodePaths.DefaultConfigFile;

    /// <value>From <c>system.state_dir</c>, else /var/lib/rookery (<c>--state-dir</c> wins).</value>
    public string? StateDirectory { get; init; }

    /// <value>/run/rookery/rookery.sock by default (<c>--socket PATH</c>, env <c>ROOKERY_SOCKET</c>); null in-process without a socket.</value>
    public string? SocketPath { get; init; }

    /// <value>Found as corosync finds it unless set (<c>--node NAME</c>).</value>
    public string? NodeName { get; init; }

    /// <summary>TCP port of the join endpoint on this node's link addresses (<c>rookery join</c>); 0: no endpoint.</summary>
    public int JoinPort { get; init; } = Join.JoinProtocol.Port;

    /// <summary>Directory of event hook scripts (default: <c>events.d</c> next to corosync.conf; used when it exists).</summary>
    public string? EventHooksDirectory { get; init; }

    /// <summary>
    /// Whether the <c>logging {}</c> section chooses where the log goes (the daemon) or only how much is logged
    /// (an application hosting the node in-process keeps the sinks it gave).
    /// </summary>
    /// <value>True by default.</value>
    public bool LogDestinationsFromConfig { get; init; } = true;

    /// <summary>
    /// Builds the log destinations for a <c>logging {}</c> section (with <see cref="LogDestinationsFromConfig"/>); the
    /// daemon passes its stderr and environment. Problems (e.g. an unwritable log file) go to the list.
    /// </summary>
    /// <value>stderr of this process and its environment by default.</value>
    public Func<Logging.LoggingSettings, List<string>, IReadOnlyList<Logging.ILogSink>> CreateLogSinks { get; init; } =
        (settings, problems) => Logging.LogSetup.CreateSinks(settings, Console.Error, Environment.GetEnvironmentVariable, problems);

    /// <summary>This host's name, for finding the local node.</summary>
    public Func<string> HostName { get; init; } = () => Dns.GetHostName();

    /// <summary>This host's addresses, for finding the local node.</summary>
    public Func<IReadOnlyList<IPAddress>> LocalAddresses { get; init; } = SystemAddresses;

    /// <summary>Looks up a host name in ringX_addr (<see cref="Rookery.Config.HostNames"/>); empty when it does not resolve.</summary>
    public Func<string, IReadOnlyList<IPAddress>> Resolve { get; init; } = ResolveWithDns;

    /// <summary>
    /// Serve corosync's client API (libqb IPC sockets @cmap, @cfg, @quorum, @votequorum and rings in /dev/shm) so
    /// corosync's tools and libraries reach this node. The daemon turns it on; in-process nodes leave it off.
    /// </summary>
    public bool CorosyncIpc { get; init; }

    /// <summary>
    /// What the daemon serves beside its control socket once the node runs (the metrics endpoint), each started with
    /// the node as its <see cref="Rookery.Control.INodeControl"/> and disposed before the node leaves; the log says what
    /// each serves (<c>Started</c>). One that throws <see cref="IOException"/> when it starts stops the daemon with exit 1
    /// and the exception's message in the log.
    /// </summary>
    /// <value>None by default.</value>
    public IReadOnlyList<Func<Rookery.Control.INodeControl, CancellationToken, Task<(IAsyncDisposable Server, string Started)>>> Servers { get; init; } = [];

    /// <summary>How long a clean shutdown waits for its announcement to be delivered before leaving anyway.</summary>
    public Duration ShutdownAnnouncementTimeout { get; init; } = Duration.FromSeconds(2);

    /// <summary>The system resolver (getaddrinfo: /etc/hosts, DNS, as nsswitch.conf says), in its order.</summary>
    public static IReadOnlyList<IPAddress> ResolveWithDns(string host)
    {
        try
        {
            return Dns.GetHostAddresses(host);
        }
        catch (Exception exception) when (exception is System.Net.Sockets.SocketException or ArgumentException)
        {
            return [];
        }
    }

    /// <summary>Every unicast address of this host (empty when the interfaces cannot be read); the CLI uses it too.</summary>
    public static IReadOnlyList<IPAddress> SystemAddresses()
    {
        try
        {
            return [.. System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
                .SelectMany(n => n.GetIPProperties().UnicastAddresses).Select(a => a.Address)];
        }
        catch (System.Net.NetworkInformation.NetworkInformationException)
        {
            return [];
        }
    }
}
