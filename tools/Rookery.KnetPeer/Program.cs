using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using Rookery;
using Rookery.KnetPeer;
using Rookery.Links;

// rookery-knetpeer: one knet link endpoint (the links core on the real UDP shell), for the namespace
// benchmarks in bench/knet/. Run it inside a namespace with `ip netns exec`.
//
//   Rookery.KnetPeer --node 3 --local 0=10.10.10.3 --local 1=10.20.20.3 \
//       --peer 1:0=10.10.10.1,1=10.20.20.1 --peer 2:0=10.10.10.2,1=10.20.20.2 \
//       --key /path/authkey [--priority 0=15 --priority 1=20] [--knet-token-ms 3000] \
//       [--stream-ms 5 --size 100] [--deliveries FILE] [--duration-s 60]
//
// Prints every link event as "<unix seconds> [KNET  ] <knet wording>" on stdout; with --deliveries it writes
// "sender,seq,unix_seconds" per delivered stream message when it stops (SIGTERM, SIGINT or the duration).
try
{
    var options = Arguments.Parse(args);
    var log = TextWriter.Synchronized(Console.Out);
    await using var endpoint = new KnetPeerEndpoint(options.Config, log);
    endpoint.Start();
    var origin = DateTimeOffset.UtcNow - TimeSpan.FromMicroseconds(endpoint.Clock.Now.Microseconds);
    if (options.StreamInterval is { } interval)
    {
        endpoint.StartStream(interval, options.StreamSize);
    }

    using var stop = new CancellationTokenSource();
    using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => { context.Cancel = true; stop.Cancel(); });
    using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, context => { context.Cancel = true; stop.Cancel(); });
    log.WriteLine($"ready node {options.Config.LocalNode}");
    try
    {
        await Task.Delay(options.Duration ?? Timeout.InfiniteTimeSpan, stop.Token);
    }
    catch (OperationCanceledException)
    {
        // Stopped by a signal.
    }

    if (options.DeliveriesPath is { } path)
    {
        using var file = new StreamWriter(path);
        file.WriteLine("sender,seq,unix_seconds");
        foreach (var delivery in endpoint.Deliveries)
        {
            var unix = (origin + TimeSpan.FromMicroseconds(delivery.At.Microseconds) - DateTimeOffset.UnixEpoch).TotalSeconds;
            file.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{delivery.Sender},{delivery.Seq},{unix:F6}"));
        }
    }

    return 0;
}
catch (Exception exception) when (exception is ArgumentException or FormatException or OverflowException)
{
    Console.Error.WriteLine($"rookery-knetpeer: {exception.Message} (see the usage at the top of tools/Rookery.KnetPeer/Program.cs)");
    return 2;
}
catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or System.Net.Sockets.SocketException)
{
    // An unreadable key file, or an address that cannot be bound in this namespace.
    Console.Error.WriteLine($"rookery-knetpeer: {exception.Message}");
    return 1;
}

internal sealed record Arguments(KnetPeerConfig Config, Duration? StreamInterval, int StreamSize, string? DeliveriesPath, TimeSpan? Duration)
{
    public static Arguments Parse(string[] args)
    {
        uint node = 0;
        var local = new Dictionary<LinkId, IPAddress>();
        var peers = new List<KnetPeerNode>();
        var priorities = new Dictionary<LinkId, byte>();
        string? key = null;
        string? deliveries = null;
        Duration? stream = null;
        Duration? knetToken = null;
        var size = 100;
        TimeSpan? duration = null;
        for (var i = 0; i < args.Length; i++)
        {
            var value = i + 1 < args.Length ? args[i + 1] : throw new ArgumentException($"{args[i]} needs a value");
            switch (args[i])
            {
                case "--node": node = uint.Parse(value, CultureInfo.InvariantCulture); break;
                case "--local": var (l, a) = LinkAddress(value); local[l] = a; break;
                case "--peer":
                    var parts = value.Split(':', 2);
                    peers.Add(new KnetPeerNode(new NodeId(uint.Parse(parts[0], CultureInfo.InvariantCulture)),
                        parts[1].Split(',').Select(LinkAddress).ToDictionary(p => p.Link, p => p.Address)));
                    break;
                case "--priority":
                    var pr = value.Split('=');
                    priorities[new LinkId(byte.Parse(pr[0], CultureInfo.InvariantCulture))] = byte.Parse(pr[1], CultureInfo.InvariantCulture);
                    break;
                case "--key": key = value; break;
                case "--stream-ms": stream = Rookery.Duration.FromMilliseconds(long.Parse(value, CultureInfo.InvariantCulture)); break;
                case "--size": size = int.Parse(value, CultureInfo.InvariantCulture); break;
                case "--knet-token-ms": knetToken = Rookery.Duration.FromMilliseconds(long.Parse(value, CultureInfo.InvariantCulture)); break;
                case "--deliveries": deliveries = value; break;
                case "--duration-s": duration = TimeSpan.FromSeconds(double.Parse(value, CultureInfo.InvariantCulture)); break;
                default: throw new ArgumentException($"unknown option {args[i]}");
            }

            i++;
        }

        if (node == 0 || local.Count == 0 || peers.Count == 0)
        {
            throw new ArgumentException("--node, at least one --local and one --peer are required");
        }

        var config = new KnetPeerConfig
        {
            LocalNode = new NodeId(node),
            LocalAddresses = local,
            Peers = peers,
            Priorities = priorities,
            Crypto = key is null ? Rookery.Wire.Knet.KnetCrypto.Clear : KnetPeerConfig.SecAuth(File.ReadAllBytes(key)),
            Timing = knetToken is { } token ? LinkTimingOptions.Knet(token) : LinkTimingOptions.Fast,
        };
        return new Arguments(config, stream, size, deliveries, duration);
    }

    private static (LinkId Link, IPAddress Address) LinkAddress(string text)
    {
        var pair = text.Split('=', 2);
        if (pair.Length != 2 || !byte.TryParse(pair[0], CultureInfo.InvariantCulture, out var link) || !IPAddress.TryParse(pair[1], out var address))
        {
            throw new ArgumentException($"expected LINK=ADDRESS, got '{text}'");
        }

        return (new LinkId(link), address);
    }
}
