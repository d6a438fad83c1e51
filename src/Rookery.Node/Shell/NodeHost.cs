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
        var notifier = new SystemdNotifier(environment("NOTIFY_SOCKET"));
        options = options with { CreateLogSinks = (settings, sinkProblems) => LogSetup.CreateSinks(settings, stderr, environment, sinkProblems) };
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
                server = new ControlServer(options.SocketPath, node, log);
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
}
