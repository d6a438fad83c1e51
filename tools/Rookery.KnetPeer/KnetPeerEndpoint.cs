using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Rookery.Links;
using Rookery.Node.Transport;

namespace Rookery.KnetPeer;

/// <summary>An event of the links core with the monotonic and wall-clock time the loop saw it.</summary>
public sealed record TimedLinkEvent(Instant At, DateTimeOffset Wall, LinkEvent Event);

/// <summary>One message of the test stream as it was delivered: sender, its sequence number, when.</summary>
public readonly record struct StreamDelivery(NodeId Sender, long Seq, Instant At);

/// <summary>
/// A knet link endpoint: the pure links core driven by the real UDP shell on one loop thread. It is what
/// a Rookery node's link layer looks like from the wire, without Totem above it, so that a real libknet
/// peer (corosync) can be shown to accept it, and failover can be measured on the namespace testbed.
/// </summary>
/// <remarks>
/// The loop owns the core. Its I/O is the daemon's own link shell, <see cref="LinkSockets"/>: the inbound channel
/// (dropping datagrams whose source is not a configured peer address on that link, as knet's access list does),
/// transport faults to <see cref="LinkLayer.ReportTransportError"/>, EMSGSIZE to <see cref="LinkLayer.ReportMessageTooBig"/>.
/// The loop ticks, sends, and sleeps until input or the next deadline. Other threads only read snapshots and enqueue commands.
/// </remarks>
public sealed class KnetPeerEndpoint : IAsyncDisposable, ILinkInput
{
    /// <summary>Channel of the test stream (Totem uses channel 0; this stays clear of it).</summary>
    public const byte StreamChannel = 1;

    private const int StreamHeaderSize = 8;

    private readonly KnetPeerConfig _config;
    private readonly LinkLayer _links;
    private readonly UdpTransport _transport;
    private readonly LinkSockets _sockets;
    private readonly ConcurrentQueue<Action<Instant>> _commands = new();
    private readonly LinkOutput _output = new();
    private readonly List<TimedLinkEvent> _events = [];
    private readonly List<StreamDelivery> _deliveries = [];
    private readonly ConcurrentDictionary<(NodeId, LinkId), bool> _connected = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly TextWriter? _log;
    private Task? _loop;
    private Duration _streamInterval = Duration.Infinite;
    private int _streamSize;
    private Instant _streamNext = Instant.Never;
    private long _streamSeq;
    private long _transportFaults;

    public KnetPeerEndpoint(KnetPeerConfig config, TextWriter? log = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        _config = config;
        _log = log;
        Clock = new MonotonicClock();
        _transport = new UdpTransport(Clock);
        _sockets = new LinkSockets(_transport);
        _links = new LinkLayer(
            config.LocalNode,
            new LinkLayerOptions { Policy = config.Policy, Crypto = config.Crypto, DeliverToSelf = false },
            new Prng(unchecked((ulong)Environment.TickCount64 ^ config.LocalNode.Value)),
            RandomNumberGenerator.Fill);
        var now = Clock.Now;
        foreach (var peer in config.Peers)
        {
            _links.AddPeer(peer.Node);
            foreach (var (link, address) in peer.Addresses.OrderBy(pair => pair.Key))
            {
                if (!config.LocalAddresses.ContainsKey(link))
                {
                    continue;
                }

                var priority = config.Priorities.TryGetValue(link, out var p) ? p : LinksDefaults.LinkPriority;
                _links.AddLink(now, peer.Node, link, new LinkOptions { Priority = priority, Timing = config.Timing });
                _sockets.SetAddress(peer.Node, link, new IPEndPoint(address, config.PortOf(link)));
            }
        }
    }

    public MonotonicClock Clock { get; }

    public NodeId LocalNode => _config.LocalNode;

    /// <summary>Datagrams dropped because their source was not a configured peer address on that link.</summary>
    public long RejectedSources => _sockets.DatagramsFromUnknownSources;

    /// <summary>Sends refused with EMSGSIZE, each reported to PMTUD at once.</summary>
    public long SendsTooBig => _sockets.SendsTooBig;

    /// <summary>Hard transport errors (ICMP unreachable, no route) handed to the core.</summary>
    public long TransportFaults => Interlocked.Read(ref _transportFaults);

    public long InboundDropped => _transport.DatagramsDropped;

    /// <summary>
    /// Binds one socket per local link address and starts the loop. <paramref name="socketScope"/> runs the
    /// socket creation (e.g. inside a network namespace); by default it runs on the calling thread.
    /// </summary>
    public void Start(Func<Func<UdpLinkSocket>, UdpLinkSocket>? socketScope = null)
    {
        Invariant.Require(_loop is null);
        socketScope ??= open => open();
        foreach (var (link, address) in _config.LocalAddresses.OrderBy(pair => pair.Key))
        {
            var local = new IPEndPoint(address, _config.PortOf(link));
            socketScope(() => _transport.Open(link, local));
        }

        _loop = Task.Factory.StartNew(
            () => RunAsync(_stop.Token),
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default).Unwrap();
    }

    /// <summary>Whether (peer, link) is connected, as the last events said.</summary>
    public bool IsConnected(NodeId peer, LinkId link) => _connected.TryGetValue((peer, link), out var up) && up;

    /// <summary>A snapshot of every state event so far (deliveries are kept apart, see <see cref="Deliveries"/>).</summary>
    public IReadOnlyList<TimedLinkEvent> Events
    {
        get
        {
            lock (_events)
            {
                return [.. _events];
            }
        }
    }

    /// <summary>A snapshot of every stream message delivered so far.</summary>
    public IReadOnlyList<StreamDelivery> Deliveries
    {
        get
        {
            lock (_deliveries)
            {
                return [.. _deliveries];
            }
        }
    }

    /// <summary>Starts broadcasting a numbered message of <paramref name="size"/> bytes every <paramref name="interval"/>.</summary>
    public void StartStream(Duration interval, int size)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, StreamHeaderSize);
        _commands.Enqueue(now =>
        {
            _streamInterval = interval;
            _streamSize = size;
            _streamNext = now;
        });
    }

    public void StopStream() => _commands.Enqueue(_ => _streamNext = Instant.Never);

    /// <summary>Administratively enables or disables a local link for every peer.</summary>
    public void SetLinkEnabled(LinkId link, bool enabled) =>
        _commands.Enqueue(now => _links.SetLinkEnabled(now, link, enabled, _output));

    /// <summary>Waits for the first event at or after <paramref name="since"/> that matches, or null at the timeout.</summary>
    public async Task<TimedLinkEvent?> WaitForEventAsync(Func<LinkEvent, bool> match, Instant since, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = Clock.Now + Duration.FromMilliseconds((long)timeout.TotalMilliseconds);
        while (true)
        {
            lock (_events)
            {
                foreach (var timed in _events)
                {
                    if (timed.At >= since && match(timed.Event))
                    {
                        return timed;
                    }
                }
            }

            if (Clock.Now >= deadline || (_loop?.IsCompleted ?? false))
            {
                return null;
            }

            await Task.Delay(5, cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        if (_loop is not null)
        {
            try
            {
                await _loop.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Normal shutdown.
            }
        }

        _sockets.Dispose();
        _stop.Dispose();
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var now = Clock.Now;
            while (_commands.TryDequeue(out var command))
            {
                command(now);
            }

            _sockets.Pump(now, this);
            now = Clock.Now;
            if (now >= _streamNext)
            {
                SendStreamMessage(now);
            }

            _links.Tick(now, _output);
            Flush(now);

            var deadline = Instant.Min(_links.NextDeadline, _streamNext);
            if (!_commands.IsEmpty)
            {
                continue;
            }

            await _transport.WaitForInputAsync(deadline, cancellationToken).ConfigureAwait(false);
        }
    }

    void ILinkInput.Receive(Instant now, LinkId link, ReadOnlySpan<byte> datagram) =>
        _links.Receive(now, link, datagram, _output);

    void ILinkInput.ReportTransportError(Instant now, NodeId peer, LinkId link)
    {
        Interlocked.Increment(ref _transportFaults);
        _links.ReportTransportError(now, peer, link, _output);
    }

    void ILinkInput.ReportMessageTooBig(Instant now, NodeId peer, LinkId link, int pathMtu) =>
        _links.ReportMessageTooBig(now, peer, link, pathMtu);

    private void SendStreamMessage(Instant now)
    {
        var payload = new byte[_streamSize];
        BinaryPrimitives.WriteInt64BigEndian(payload, ++_streamSeq);
        _links.Broadcast(now, StreamChannel, payload, _output);
        _streamNext = _streamInterval == Duration.Infinite ? Instant.Never : Instant.Max(_streamNext + _streamInterval, now);
    }

    /// <summary>Carries out the core's output in <see cref="LinkOutput"/>'s order: send, log, then the events.</summary>
    private void Flush(Instant now)
    {
        _sockets.Send(now, _output.Datagrams, this);
        if (_output.IsEmpty)
        {
            return;
        }

        var wall = DateTimeOffset.UtcNow;
        foreach (var entry in _output.Logs)
        {
            // Unix time with microseconds first, so scripts can line events up with other clocks of the host.
            _log?.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{(wall - DateTimeOffset.UnixEpoch).TotalSeconds:F6} [KNET  ] {entry.Text}"));
        }

        foreach (var linkEvent in _output.Events)
        {
            switch (linkEvent)
            {
                case Delivered delivered:
                    if (delivered.Channel == StreamChannel && delivered.Payload.Length >= StreamHeaderSize)
                    {
                        lock (_deliveries)
                        {
                            _deliveries.Add(new StreamDelivery(delivered.Sender, BinaryPrimitives.ReadInt64BigEndian(delivered.Payload), now));
                        }
                    }

                    continue;
                case LinkUp up:
                    _connected[(up.Peer, up.Link)] = true;
                    break;
                case LinkDown down:
                    _connected[(down.Peer, down.Link)] = false;
                    break;
            }

            lock (_events)
            {
                _events.Add(new TimedLinkEvent(now, wall, linkEvent));
            }
        }

        _output.Clear();
    }
}
