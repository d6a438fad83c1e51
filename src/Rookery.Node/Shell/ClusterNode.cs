using System.Collections.Concurrent;
using System.Security.Cryptography;
using Rookery.Config;
using Rookery.Links;
using Rookery.Node.Logging;
using Rookery.Node.Systemd;
using Rookery.Node.Transport;
using Rookery.Services;

namespace Rookery.Node.Shell;

/// <summary>
/// A running node: the Links, Totem, Groups and Quorum cores on one loop, UDP sockets per link, the state
/// directory, reload, logging and systemd notification. The loop is the only code that touches the cores;
/// <see cref="Rookery.Control.INodeControl"/> calls from other threads are queued to it. Start with <see cref="Start"/>,
/// run with <see cref="RunAsync"/>; usable in-process (no daemon, no socket) through <c>RookeryClient.InProcess</c>.
/// </summary>
public sealed partial class ClusterNode : Rookery.Control.INodeControl, IAsyncDisposable
{
    /// <summary>
    /// Drains of the stack's output in one <see cref="Flush"/>. An event handler calls the stack at most once per event
    /// (a reload, a link change), so two or three drains settle; thousands mean a handler and the stack feed each other
    /// for ever: a bug, stopped loudly rather than spinning the loop thread.
    /// </summary>
    public const int FlushRoundsMax = 10_000;

    private readonly NodeOptions _options;
    private readonly ClusterLog _log;
    private readonly SystemdNotifier _notifier;
    private readonly MonotonicClock _clock;
    private readonly StateFiles _state;
    private readonly NodeStack _stack;
    private readonly LinkShell _links;
    private readonly NodeConfig _localNode;
    private readonly ConcurrentQueue<Action<Instant>> _commands = new();
    private readonly List<ServiceOutput> _eventsInFlight = [];
    private readonly Func<bool> _hasCommands;
    private readonly TaskCompletionSource<bool> _firstSync = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private CorosyncConfig _config;
    private TxSequenceLease? _txSequenceLease;
    private int _exitCode;
    private bool _stopping;
    private bool _loopExited;
    private bool _shutdownAnnounced;

    private ClusterNode(
        NodeOptions options, ClusterLog log, SystemdNotifier notifier, MonotonicClock clock, CorosyncConfig config,
        NodeConfig localNode, StateFiles state, NodeStack stack, LinkShell links)
    {
        _options = options;
        _log = log;
        _notifier = notifier;
        _clock = clock;
        _config = config;
        _localNode = localNode;
        _state = state;
        _stack = stack;
        _links = links;
        _hasCommands = () => !_commands.IsEmpty;
    }

    public NodeId LocalNodeId => _stack.Local;

    public string ConfigPath => _options.ConfigPath;

    /// <summary>Completes when the node first finishes a sync (it is in a ring and provides service).</summary>
    public Task InService => _firstSync.Task;

    /// <summary>
    /// Reads and checks the configuration, finds the local node, opens the link sockets and builds the cores.
    /// Throws <see cref="NodeStartException"/> with what to fix and corosync's exit code.
    /// </summary>
    public static ClusterNode Start(NodeOptions options, ClusterLog log, SystemdNotifier? notifier = null)
    {
        log.Notice(LogSubsystem.Main, $"Rookery Cluster Engine {Control.ControlServer.ProductVersion} starting up");
        var validation = new ValidationOptions
        {
            CheckLocalNode = true,
            LocalNodeName = options.NodeName,
            LocalNodeRequired = true,
            HostName = options.HostName(),
            LocalAddresses = options.LocalAddresses(),
            Resolve = options.Resolve,
        };
        var loaded = ConfigFile.Load(options.ConfigPath, validation);
        if (loaded.HasErrors)
        {
            throw new NodeStartException(
                string.Join('\n', loaded.Errors.Select(e => e.ToString())) + $"\nRookery Cluster Engine configuration is not valid: fix {options.ConfigPath} ('rookery config check' lists every problem)",
                NodeStartException.ConfigurationExitCode);
        }

        var config = loaded.Config;
        var found = LocalNode.Find(config, options.NodeName, validation.HostName, validation.LocalAddresses);
        if (found.Node?.NodeId is not { } nodeId)
        {
            throw new NodeStartException(
                options.NodeName is null
                    ? $"this host ({validation.HostName}) is not in the nodelist of {options.ConfigPath}: no node is named like it and no ringX_addr is one of its addresses; pass --node NAME"
                    : $"node '{options.NodeName}' is not in the nodelist of {options.ConfigPath}",
                NodeStartException.ConfigurationExitCode);
        }

        var local = new NodeId(nodeId);
        ApplyLogging(log, options, config);

        // Keys without effect here are said so once, in the log (KeyAudit): none is silently ignored.
        foreach (var warning in loaded.Warnings)
        {
            log.Warning(LogSubsystem.Main, warning.ToString());
        }
        var state = new StateFiles(options.StateDirectory ?? config.StateDir, local);
        ulong ringSequence;
        uint trackingBarrier;
        TxSequenceLease lease;
        try
        {
            state.Ensure();
            ringSequence = state.ReadRingSequence();
            trackingBarrier = state.ReadTrackingBarrier();

            // Before the first packet: a restart must never reuse the sequence numbers of a recent incarnation.
            lease = TxSequenceLease.Begin(state.ReadTxSequence());
            state.WriteTxSequence(lease.Persisted);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            throw new NodeStartException($"cannot use the state directory {state.Directory}: {ConfigFile.Reason(exception)} (--state-dir or system.state_dir)", NodeStartException.StateDirectoryExitCode);
        }

        var keyWarnings = new List<string>();
        var crypto = LinkShell.CryptoFor(config, Path.GetDirectoryName(Path.GetFullPath(options.ConfigPath)) ?? ".", out var cryptoError, keyWarnings)
            ?? throw new NodeStartException(cryptoError!, NodeStartException.ConfigurationExitCode);
        foreach (var warning in keyWarnings)
        {
            log.Warning(LogSubsystem.Main, warning);
        }

        var prng = new Prng(BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8)));
        var serviceLog = new List<LogEntry>();
        var linkOptions = LinkLayerOptions.From(config.Totem) with
        {
            Crypto = crypto,
            DeliverToSelf = false,
            InitialTxSequence = lease.Start,
        };
        var stack = NodeStackFactory.Create(config, local, ringSequence, trackingBarrier, prng.Fork(), serviceLog, out var stackError, linkOptions, new BufferedSaltSource().Fill);
        foreach (var line in serviceLog)
        {
            log.Write(line.Subsystem, line.Priority, line.Text, line.Fields);
        }

        if (stack is null)
        {
            throw new NodeStartException(stackError!, NodeStartException.ServiceInitExitCode);
        }

        var clock = new MonotonicClock();
        // The loop reads the sockets itself: one wake-up per datagram, no receiver threads, no copy before the link layer.
        var links = new LinkShell(stack, new UdpTransport(clock, receiveOnLoop: true), log);
        log.Notice(LogSubsystem.Totem, "Initializing transport (Kronosnet).");
        var errors = new List<string>();
        links.Configure(clock.Now, config, found.Node, config.Timers.Token, errors);
        if (errors.Count > 0)
        {
            links.Dispose();
            throw new NodeStartException(string.Join('\n', errors), NodeStartException.GeneralExitCode);
        }

        log.Info(LogSubsystem.Totem, "totemknet initialized");
        if (config.Quorum.IsVotequorum)
        {
            log.Notice(LogSubsystem.Quorum, "Using quorum provider corosync_votequorum");
        }

        var node = new ClusterNode(options, log, notifier ?? new SystemdNotifier(null), clock, config, found.Node, state, stack, links) { _txSequenceLease = lease };
        node.StartHooks();
        return node;
    }

    /// <summary>
    /// Runs the loop until <paramref name="stop"/> fires (then leaves the cluster cleanly) or the node must exit
    /// (config_version refused). Returns the process exit code.
    /// </summary>
    public async Task<int> RunAsync(CancellationToken stop)
    {
        using var stopRegistration = stop.Register(() => Enqueue(now => BeginShutdown(now, "Node was shut down by a signal")));
        try
        {
            var now = _clock.Now;
            _stack.SetNodelist(now, Nodelist(_config));
            _stack.Start(now);
            Flush(now);
            StartCorosyncIpc();
            await LoopAsync().ConfigureAwait(false);
        }
        finally
        {
            _loopExited = true;
            StopCorosyncIpc();
            CloseSessions();
            _links.Dispose();
            _log.Notice(LogSubsystem.Main, "Rookery Cluster Engine exiting normally");
        }

        return _exitCode;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private static NodeId[] Nodelist(CorosyncConfig config) =>
        [.. config.Nodes.Where(n => n.NodeId is not null).Select(n => new NodeId(n.NodeId!.Value)).Order()];

    private static void ApplyLogging(ClusterLog log, NodeOptions options, CorosyncConfig config)
    {
        if (options.LogDestinationsFromConfig)
        {
            log.Reconfigure(LoggingSettingsFromConfig.From(config.Logging), CurrentSinks(log, options, config));
        }
        else
        {
            log.Reconfigure(LoggingSettingsFromConfig.From(config.Logging));
        }
    }

    private static IReadOnlyList<ILogSink> CurrentSinks(ClusterLog log, NodeOptions options, CorosyncConfig config)
    {
        var problems = new List<string>();
        var sinks = options.CreateLogSinks(LoggingSettingsFromConfig.From(config.Logging), problems);
        foreach (var problem in problems)
        {
            log.Warning(LogSubsystem.Main, problem);
        }

        return sinks;
    }

    /// <summary>Runs <see cref="Loop"/> on a thread of its own: it blocks in the transport's <see cref="UdpTransport.WaitForInput"/>, so a datagram or a command wakes it directly (an async loop on the thread pool cost a timer, several tasks and thread hops per datagram).</summary>
    private Task LoopAsync()
    {
        var exited = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                Loop();
                exited.SetResult();
            }
            catch (Exception exception)
            {
                exited.SetException(exception);
            }
        })
        {
            IsBackground = true,
            Name = "rookery-loop",
        };
        thread.Start();
        return exited.Task;
    }

    /// <remarks>
    /// Under systemd's watchdog (<c>WatchdogSec=</c>) this thread itself sends <c>WATCHDOG=1</c> every half timeout: a
    /// loop stuck anywhere (a core, a sink, a command) stops the pings and systemd restarts the node, where a timer
    /// thread would keep pinging for a dead loop.
    /// </remarks>
    private void Loop()
    {
        Instant shutdownDeadline = Instant.Never;
        var watchdogEvery = _notifier.WatchdogPingInterval is { } every ? new Duration(Math.Max(1, (long)every.TotalMicroseconds)) : (Duration?)null;
        var nextWatchdog = watchdogEvery is null ? Instant.Never : _clock.Now;
        while (true)
        {
            var now = _clock.Now;
            while (_commands.TryDequeue(out var command))
            {
                command(now);
            }

            if (now >= nextWatchdog)
            {
                _notifier.Watchdog();
                nextWatchdog = now + watchdogEvery!.Value;
            }

            _links.Pump(now);
            if (_stack.NextDeadline <= now)
            {
                _stack.Tick(now);
            }

            Flush(now);
            _log.FlushSuppressed();
            RenewTxSequenceLease();
            CorosyncIpcTurn(now);
            SignalSendSpace();
            if (_stopping)
            {
                if (shutdownDeadline == Instant.Never)
                {
                    shutdownDeadline = now + _options.ShutdownAnnouncementTimeout;
                }

                if (_shutdownAnnounced || now >= shutdownDeadline || _stack.Services.Members.Count <= 1)
                {
                    _stack.Leave(now);
                    Flush(now);
                    return;
                }
            }

            var deadline = Instant.Min(Instant.Min(_stack.NextDeadline, shutdownDeadline), nextWatchdog);
            _links.Transport.WaitForInput(deadline, _hasCommands);
        }
    }

    /// <summary>Persists the knet sequence lease every <see cref="TxSequenceLease.RenewEvery"/> packets (see <see cref="TxSequenceLease"/>).</summary>
    private void RenewTxSequenceLease()
    {
        if (_txSequenceLease?.Renew(_links.Core.TxSequence) is not { } persisted)
        {
            return;
        }

        try
        {
            _state.WriteTxSequence(persisted);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            _log.Warning(LogSubsystem.Main, $"Unable to write {_state.TxSequencePath}: {ConfigFile.Reason(exception)}");
        }
    }

    /// <summary>Queues work for the loop thread and wakes it.</summary>
    private void Enqueue(Action<Instant> command)
    {
        _commands.Enqueue(command);

        // Never throws, even after the transport is disposed (a command queued then never runs; callers time out on
        // their own tokens).
        _links.Transport.Wake();
    }

    /// <summary>Runs <paramref name="function"/> on the loop thread and returns its result.</summary>
    private Task<T> InvokeAsync<T>(Func<Instant, T> function, CancellationToken cancellationToken)
    {
        if (_loopExited)
        {
            throw new Rookery.Control.NodeControlException(Rookery.Control.ControlErrorCodes.NotRunning, "the node is shutting down");
        }

        var completion = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        Enqueue(now =>
        {
            try
            {
                completion.TrySetResult(function(now));
            }
            catch (Exception exception)
            {
                completion.TrySetException(exception);
            }
        });
        return completion.Task.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Carries out the stack's output in the order <see cref="StackOutput"/> prescribes: persist, send, log, then the
    /// events. An event may call the stack again (a reload, a link change), which adds output: drain until empty.
    /// </summary>
    private void Flush(Instant now)
    {
        var output = _stack.Output;
        for (var round = 0; round < FlushRoundsMax; round++)
        {
            if (output.IsEmpty)
            {
                return;
            }

            if (output.RingSequenceToPersist is { } sequence)
            {
                PersistRingSequence(now, sequence);
                output.RingSequenceToPersist = null;
            }

            if (output.TrackingBarrierToPersist is { } barrier)
            {
                TryWriteTrackingBarrier(barrier);
                output.TrackingBarrierToPersist = null;
            }

            _links.SendDatagrams(now);
            foreach (var entry in output.Logs)
            {
                _log.Write(entry.Subsystem, entry.Priority, entry.Text, entry.Fields);
            }

            output.Logs.Clear();
            _eventsInFlight.AddRange(output.Events);
            output.Events.Clear();
            foreach (var outputEvent in _eventsInFlight)
            {
                Handle(now, outputEvent);
            }

            _eventsInFlight.Clear();
        }

        Invariant.Fail($"the node kept flushing for {FlushRoundsMax} rounds");
    }

    private void PersistRingSequence(Instant now, ulong sequence)
    {
        try
        {
            _state.WriteRingSequence(sequence);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // corosync exits (21) when it cannot store the ring id: a reused sequence could confuse the others.
            _log.Error(LogSubsystem.Main, $"Couldn't store new ring id {sequence:x} to stable storage: {ConfigFile.Reason(exception)} ({_state.RingIdPath})");
            _exitCode = NodeStartException.StateDirectoryExitCode;
            BeginShutdown(now, "Rookery Cluster Engine cannot store the ring id");
        }
    }

    private void Handle(Instant now, ServiceOutput output)
    {
        switch (output)
        {
            case LocalGroupEvent groupEvent:
                DispatchGroupEvent(now, groupEvent);
                break;
            case LinkObserved observed:
                OnLinkEvent(observed.Event);
                break;
            case SyncCompleted completed:
                OnSyncCompleted(completed);
                OnRingChangedForRequests(completed.Members);
                PublishMembership(completed);
                break;
            case MemberReportReceived report:
                OnMemberReport(report);
                break;
            case ConfigApplyRequested apply:
                OnConfigApplyRequested(now, apply);
                break;
            case ConfigDonorNeeded donor:
                OnConfigDonorNeeded(now, donor);
                break;
            case QuorumReported:
                UpdateSystemdStatus();
                PublishQuorum();
                break;
            case ConfigVersionRefused:
                _exitCode = NodeStartException.GeneralExitCode;
                BeginShutdown(now, null);
                break;
            case NodeKillRequested:
                // corosync exits at once (corosync_fatal_error); this node leaves cleanly, with the same non-zero status.
                _exitCode = NodeStartException.GeneralExitCode;
                BeginShutdown(now, null);
                break;
            case ReloadRequested reload:
                OnReloadRequested(now, reload);
                break;
            case LinkEnableRequested link:
                _links.SetLinkEnabled(now, new LinkId((byte)link.Link), link.Enabled);
                break;
            case NodeShutdownAnnounced announced:
                _announcedShutdowns.Add(announced.Node.Value);
                _shutdownAnnounced |= announced.Node == _stack.Local;
                break;
        }

        NotifyCorosyncIpc(now, output);
    }

    private void TryWriteTrackingBarrier(uint barrier)
    {
        try
        {
            _state.WriteTrackingBarrier(barrier);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            _log.Warning(LogSubsystem.Votequorum, $"Unable to write {_state.TrackingPath}: {ConfigFile.Reason(exception)}");
        }
    }

    /// <summary>
    /// A sync finished. The first one that completes in a ring containing this node makes it ready (systemd READY=1,
    /// as corosync's <c>corosync_sync_completed</c>): it is operational in a ring and its services are synchronised.
    /// </summary>
    private void OnSyncCompleted(SyncCompleted completed)
    {
        if (!completed.Members.Contains(_stack.Local))
        {
            return;
        }

        if (_firstSync.TrySetResult(true))
        {
            _notifier.Ready(SystemdStatus());
        }
        else
        {
            UpdateSystemdStatus();
        }
    }

    private void UpdateSystemdStatus()
    {
        if (_firstSync.Task.IsCompleted)
        {
            _notifier.Status(SystemdStatus());
        }
    }

    private string SystemdStatus()
    {
        var quorum = _stack.Services.Quorum.Status;
        return $"ring {_stack.Services.RingId}, {quorum.Members.Count} members, {(quorum.Quorate ? "quorate" : "not quorate")}";
    }

    /// <summary>Clean shutdown: STOPPING to systemd, the cfg SHUTDOWN announcement, then Totem's leave (in the loop).</summary>
    private void BeginShutdown(Instant now, string? reason)
    {
        if (_stopping)
        {
            return;
        }

        _stopping = true;
        if (reason is not null)
        {
            _log.Notice(LogSubsystem.Main, reason);
        }

        _notifier.Stopping();
        if (_stack.Services.InService && _stack.Services.Members.Count > 1)
        {
            // The loop turn's time: a later reading here made Totem see time go backwards in the same turn (invariant, abort).
            _stack.AnnounceShutdown(now);
        }
    }
}
