using System.CommandLine;
using Rookery.Control;
using Rookery.Node;
using Rookery.Node.Shell;
using Rookery.Web;

namespace Rookery.Cli.Commands;

/// <summary>
/// <c>rookery daemon</c>: the node process in the foreground, as <c>corosync -f</c> (systemd runs it with
/// <c>Type=notify</c>). SIGTERM or SIGINT make it leave the cluster cleanly. Exit codes are corosync's
/// (8 configuration, 13 service init, 21 state directory, 1 anything else).
/// </summary>
public static class DaemonCommand
{
    public static Command Build(CliContext context)
    {
        var stateDir = new Option<string>("--state-dir") { Description = $"State directory for the ring id (default: system.state_dir, else {NodePaths.DefaultStateDirectory})" };
        var socket = NodeCommandSupport.SocketOption();
        var node = new Option<string>("--node") { Description = "Name of this node in the nodelist (default: found as corosync finds it; needed for several nodes on one host)" };
        var metrics = new Option<string>("--metrics")
        {
            Description = "Serve GET /metrics (Prometheus text format, no log-in) on ADDR:PORT, e.g. 127.0.0.1:9405 (docs/metrics.md)",
            HelpName = "ADDR:PORT",
        };
        metrics.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { } text && MetricsServer.ParseEndPoint(text, out var problem) is null)
            {
                result.AddError($"--metrics: {problem}");
            }
        });
        var command = new Command("daemon", "Run the node in the foreground (corosync -f); stop it with SIGTERM to leave cleanly. " +
            "Exit codes (corosync's): 0 stopped, 1 other failure (a link address cannot be bound, the socket or the --metrics or --web port is taken), " +
            "8 configuration not valid (also a ringX_addr host name that does not resolve), 13 a service refused its configuration, " +
            "21 the ring id cannot be stored in the state directory.");
        command.Options.Add(stateDir);
        command.Options.Add(socket);
        command.Options.Add(node);
        command.Options.Add(metrics);
        var web = WebCommand.WebOption(required: false);
        command.Options.Add(web);
        context.SetAction(command, result =>
        {
            var servers = new List<Func<INodeControl, CancellationToken, Task<(IAsyncDisposable, string)>>>();
            var configPath = context.ConfigPath(result);
            var settings = ReadSettings(configPath);
            var metricsEndPoint = result.GetValue(metrics) is { } metricsAddress ? MetricsServer.ParseEndPoint(metricsAddress, out _) : settings.Metrics;
            if (metricsEndPoint is not null)
            {
                servers.Add(async (control, cancellationToken) =>
                {
                    var server = await MetricsServer.StartAsync(metricsEndPoint, control, cancellationToken).ConfigureAwait(false);
                    return (server, $"metrics: serving {server.Url}");
                });
            }

            var webEndPoint = result.GetValue(web) is { } webAddress ? WebCommand.ParseWeb(webAddress) : settings.Web;
            if (webEndPoint is not null)
            {
                var nodeName = result.GetValue(node);
                servers.Add(async (control, cancellationToken) =>
                {
                    // The daemon made the node's identity (certificate, join secret) before it starts its servers.
                    var identity = Rookery.Node.Join.NodeIdentity.For(configPath);
                    var setup = new WebClusterSetup(context, configPath, nodeName, startService: false);
                    var server = await WebCommand.StartAsync(webEndPoint, identity, configPath, control, setup, cancellationToken).ConfigureAwait(false);
                    return (server, $"web: serving {server.Url} (log in with a token of 'rookery web token')");
                });
            }

            var options = new NodeOptions
            {
                ConfigPath = configPath,
                StateDirectory = result.GetValue(stateDir),
                SocketPath = result.GetValue(socket) is { Length: > 0 } path ? path : ControlSocket.Resolve(context.GetEnvironment(ControlSocket.EnvironmentVariable)),
                NodeName = result.GetValue(node),
                HostName = context.HostName,
                Resolve = context.Resolve,
                LocalAddresses = context.LocalAddresses,
                Servers = servers,
            };
            using var stop = new CancellationTokenSource();
            using var signals = NodeCommandSupport.CancelOnSignals(stop);
            return NodeHost.RunAsync(options, context.Error, context.GetEnvironment, stop.Token).GetAwaiter().GetResult();
        });
        return command;
    }

    /// <summary>rookery.conf beside corosync.conf (absent: nothing more is served); an invalid one stops the daemon with exit 8.</summary>
    private static RookerySettings ReadSettings(string configPath)
    {
        var path = RookerySettings.PathFor(configPath);
        if (!File.Exists(path))
        {
            return RookerySettings.None;
        }

        if (!Rookery.Config.ConfigFile.TryReadText(path, out var text, out var readError))
        {
            throw new CliException(readError, ExitCodes.ConfigInvalid);
        }

        var errors = new List<string>();
        var settings = RookerySettings.Parse(text, path, errors);
        if (errors.Count > 0)
        {
            throw new CliException(string.Join('\n', errors) + $"\n{path} is not valid: the daemon was not started", ExitCodes.ConfigInvalid);
        }

        return settings;
    }
}
