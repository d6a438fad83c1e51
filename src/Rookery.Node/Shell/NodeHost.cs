using Rookery.Control;
using Rookery.Node.Control;
using Rookery.Node.Logging;
using Rookery.Node.Systemd;

namespace Rookery.Node.Shell;

/// <summary>
/// The daemon process (<c>rookery daemon</c>, corosync's <c>corosync -f</c>): logging as the <c>logging {}</c> section
/// says, the node, its control socket, systemd notification; returns corosync's exit codes.
/// </summary>
public static class NodeHost
{
    public static async Task<int> RunAsync(NodeOptions options, TextWriter stderr, Func<string, string?> environment, CancellationToken stop)
    {
        var problems = new List<string>();
        using var log = new ClusterLog(new LoggingSettings(), LogSetup.CreateSinks(new LoggingSettings(), stderr, environment, problems));
        var notifier = SystemdNotifier.FromEnvironment(environment, Environment.ProcessId);
        options = options with
        {
            CreateLogSinks = (settings, sinkProblems) => LogSetup.CreateSinks(settings, stderr, environment, sinkProblems),

            // ROOKERY_COROSYNC_IPC=0 keeps the daemon off corosync's IPC sockets (e.g. beside a real corosync in one namespace).
            CorosyncIpc = environment("ROOKERY_COROSYNC_IPC") != "0",
        };
        ClusterNode node;
        try
        {
            node = ClusterNode.Start(options, log, notifier);
        }
        catch (NodeStartException exception)
        {
            foreach (var line in exception.Message.Split('\n'))
            {
                log.Error(LogSubsystem.Main, line);
            }

            notifier.Notify($"STATUS=failed to start: {exception.Message.Split('\n')[0]}");
            return exception.ExitCode;
        }

        await using (node.ConfigureAwait(false))
        {
            ControlServer? server = null;
            if (options.SocketPath is not null)
            {
                var accessProblems = new List<string>();
                server = new ControlServer(options.SocketPath, node, log, node.ControlAccess(accessProblems));
                foreach (var problem in accessProblems)
                {
                    log.Warning(LogSubsystem.Main, problem);
                }

                try
                {
                    server.Start();
                }
                catch (IOException exception)
                {
                    log.Error(LogSubsystem.Main, exception.Message);
                    await server.DisposeAsync().ConfigureAwait(false);
                    return NodeStartException.GeneralExitCode;
                }
            }

            using var registration = options.SocketPath is null ? null : DaemonRegistry.Register(options.ConfigPath, options.SocketPath);
            var servers = new List<IAsyncDisposable>();
            if (StartJoinEndpoint(node, options, log) is { } join)
            {
                servers.Add(join);
            }

            try
            {
                foreach (var start in options.Servers)
                {
                    try
                    {
                        var (started, description) = await start(node, stop).ConfigureAwait(false);
                        servers.Add(started);
                        log.Notice(LogSubsystem.Main, description);
                    }
                    catch (IOException exception)
                    {
                        log.Error(LogSubsystem.Main, exception.Message);
                        return NodeStartException.GeneralExitCode;
                    }
                }

                // What starting left behind (the configuration's text and model, the servers' hosts, the first sync's
                // messages) is garbage once the node is in service: one compacting collection then returns it, so the
                // idle daemon's resident size is what it keeps, not what it needed to start (bench/idle, docs/web.md).
                _ = node.InService.ContinueWith(static _ => LaggardMemory.Return(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
                return await node.RunAsync(stop).ConfigureAwait(false);
            }
            finally
            {
                foreach (var started in servers)
                {
                    await started.DisposeAsync().ConfigureAwait(false);
                }

                if (server is not null)
                {
                    await server.DisposeAsync().ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>The join endpoint (<c>rookery join</c>): this node's identity is created when missing; port 0 turns it off.</summary>
    private static Join.JoinServer? StartJoinEndpoint(ClusterNode node, NodeOptions options, ClusterLog log)
    {
        if (options.JoinPort == 0)
        {
            return null;
        }

        var identity = Join.NodeIdentity.For(options.ConfigPath);
        try
        {
            identity.Ensure(options.NodeName ?? options.HostName());
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            log.Warning(LogSubsystem.Main, $"join endpoint not started: cannot create {identity.Directory} ({exception.Message})");
            return null;
        }

        return Join.JoinServer.TryStart(identity, node.JoinAddresses, options.JoinPort, node.HandleJoinAsync, log);
    }
}
