using System.CommandLine;
using System.Net;
using Rookery.Node.Join;
using Rookery.Web;

namespace Rookery.Cli.Commands;

/// <summary>
/// <c>rookery web token</c>: a log-in token for the web interface (printed once, stored hashed, mode 0600).
/// <c>rookery web serve --web ADDR:PORT</c>: the web interface of a machine in no cluster yet, with the Create cluster
/// and Join cluster pages (a running node serves its own interface with <c>rookery daemon --web</c>).
/// </summary>
public static class WebCommand
{
    public static Command Build(CliContext context)
    {
        var command = new Command("web", "The web interface: log-in tokens; serving it on a machine in no cluster yet.");
        command.Subcommands.Add(BuildToken(context));
        command.Subcommands.Add(BuildServe(context));
        return command;
    }

    private static Command BuildToken(CliContext context)
    {
        var json = NodeCommandSupport.JsonOption();
        var command = new Command("token", "Make a log-in token for the web interface: https://ADDR:PORT/login?token=TOKEN (stored hashed in rookery/web-tokens, mode 0600).");
        command.Options.Add(json);
        context.SetAction(command, result =>
        {
            var identity = NodeIdentity.For(context.ConfigPath(result));
            var tokens = WebTokens.In(identity.Directory);
            var token = tokens.Create();
            if (result.GetValue(json))
            {
                CliJson.Write(context, ("token", token), ("file", tokens.Path));
                return ExitCodes.Ok;
            }

            context.Output.WriteLine(token);
            context.Error.WriteLine($"Log in at https://ADDR:PORT/login?token={token} (the token is shown only now; its hash is in {tokens.Path}).");
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command BuildServe(CliContext context)
    {
        var web = WebOption(required: true);
        var node = new Option<string>("--node") { Description = "Name of this node (default: the host name)" };
        var noStart = new Option<bool>("--no-start") { Description = "After a join, do not start rookery.service; the page prints the start command" };
        var command = new Command("serve", "Serve the web interface's Create cluster and Join cluster pages on a machine in no cluster yet (HTTPS; stop with Ctrl-C).");
        command.Options.Add(web);
        command.Options.Add(node);
        command.Options.Add(noStart);
        context.SetAction(command, result =>
        {
            var configPath = context.ConfigPath(result);
            if (File.Exists(configPath))
            {
                throw new CliException($"{configPath} exists: this machine is in a cluster; serve its web interface with 'rookery daemon --web ADDR:PORT' (or web {{ listen }} in rookery.conf)");
            }

            var endPoint = ParseWeb(result.GetRequiredValue(web));
            var nodeName = result.GetValue(node);
            var identity = NodeIdentity.For(configPath);
            identity.EnsureCertificate(nodeName ?? context.HostName());
            using var stop = new CancellationTokenSource();
            using var signals = NodeCommandSupport.CancelOnSignals(stop);
            return Task.Run(async () =>
            {
                var setup = new WebClusterSetup(context, configPath, nodeName, startService: !result.GetValue(noStart));
                await using var server = await StartAsync(endPoint, identity, configPath, node: null, setup, stop.Token).ConfigureAwait(false);
                context.Error.WriteLine($"web: serving {server.Url} (no cluster yet: Create cluster, Join cluster; log in with a token of 'rookery web token')");
                try
                {
                    await Task.Delay(Timeout.Infinite, stop.Token).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    // Ctrl-C or SIGTERM.
                }

                return ExitCodes.Ok;
            }).GetAwaiter().GetResult();
        });
        return command;
    }

    /// <summary><c>--web ADDR[:PORT]</c> (port <see cref="WebServer.DefaultPort"/> when left out).</summary>
    public static Option<string> WebOption(bool required)
    {
        var option = new Option<string>("--web")
        {
            Description = $"Serve the web interface over HTTPS on ADDR[:PORT] (default port {WebServer.DefaultPort}), e.g. 192.0.2.10:{WebServer.DefaultPort} (docs/web.md)",
            HelpName = "ADDR:PORT",
            Required = required,
        };
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string>() is { } text && WebServer.ParseEndPoint(text, out var problem) is null)
            {
                result.AddError($"--web: {problem}");
            }
        });
        return option;
    }

    public static IPEndPoint ParseWeb(string text) =>
        WebServer.ParseEndPoint(text, out var problem) ?? throw new CliException($"--web: {problem}", ExitCodes.Usage);

    /// <summary>Starts the web interface with the node's certificate and tokens.</summary>
    public static async Task<WebServer> StartAsync(IPEndPoint endPoint, NodeIdentity identity, string configPath, Rookery.Control.INodeControl? node, IClusterSetup setup, CancellationToken cancellationToken)
    {
        System.Security.Cryptography.X509Certificates.X509Certificate2 certificate;
        try
        {
            certificate = identity.LoadCertificate();
        }
        catch (System.Security.Cryptography.CryptographicException exception)
        {
            throw new IOException($"cannot serve the web interface: the certificate in {identity.Directory} cannot be read ({exception.Message})", exception);
        }

        return await WebServer.StartAsync(new WebOptions
        {
            EndPoint = endPoint,
            Certificate = certificate,
            Tokens = WebTokens.In(identity.Directory),
            Node = node,
            ConfigPath = configPath,
            Setup = setup,
        }, cancellationToken).ConfigureAwait(false);
    }
}
