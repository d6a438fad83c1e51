using System.CommandLine;
using System.Globalization;
using Rookery.Client;
using Rookery.Config;
using Rookery.Node;
using Rookery.Node.Shell;
using Rookery.Control;

namespace Rookery.Cli.Commands;

/// <summary>
/// <c>rookery config check [FILE]</c>: like <c>corosync -t</c>, but every error and warning at
/// once. Exit 0 when valid, 8 when not. The file may be meant for another machine, so a local
/// node that cannot be found is a warning, unless <c>--node NAME</c> names one that is not there.
/// One file cannot show what the other nodes configured, so when a node is running here (the daemon that runs
/// FILE, found in <see cref="DaemonRegistry"/>, else <c>--socket</c>, <c>$ROOKERY_SOCKET</c> or the default socket) the link priorities its peers announced are compared with
/// this file's: a difference is a warning (corosync accepts it silently and the paths become asymmetric).
/// </summary>
public static class ConfigCommand
{
    public static Command Build(CliContext context)
    {
        var config = new Command("config", "Work with corosync.conf.");
        config.Subcommands.Add(BuildCheck(context));
        config.Subcommands.Add(ConfigApplyCommand.BuildApply(context));
        config.Subcommands.Add(ConfigApplyCommand.BuildEdit(context));
        return config;
    }

    private static Command BuildCheck(CliContext context)
    {
        var file = new Argument<string?>("FILE") { Description = "File to check (default: corosync.conf in the configuration directory)", Arity = ArgumentArity.ZeroOrOne };
        var node = new Option<string>("--node") { Description = "Name of the node this file is for (must be in its nodelist)" };
        var socket = NodeCommandSupport.SocketOption();
        var check = new Command("check", "Check a corosync.conf like corosync -t: every error and warning; exit 0 valid, 8 invalid.");
        check.Arguments.Add(file);
        check.Options.Add(node);
        check.Options.Add(socket);
        var json = NodeCommandSupport.JsonOption();
        check.Options.Add(json);
        context.SetAction(check, result =>
        {
            var path = result.GetValue(file) ?? context.ConfigPath(result);
            var options = new ValidationOptions
            {
                CheckLocalNode = true,
                LocalNodeName = result.GetValue(node),
                HostName = context.HostName(),
                LocalAddresses = context.LocalAddresses(),
                Resolve = context.Resolve,
            };
            var loaded = ConfigFile.Load(path, options);
            var diagnostics = loaded.Diagnostics.ToList();
            if (loaded.Parsed)
            {
                diagnostics.AddRange(CheckKey(loaded.Config, path));
                var socketPath = result.GetValue(socket) is { Length: > 0 } explicitPath ? explicitPath
                    : DaemonRegistry.SocketFor(path) ?? context.GetEnvironment(ControlSocket.EnvironmentVariable);
                diagnostics.AddRange(CheckPeerPriorities(loaded.Config, path, string.IsNullOrEmpty(socketPath) ? ControlSocket.DefaultPath : socketPath));
            }

            var errors = diagnostics.Count(d => d.IsError);
            var warnings = diagnostics.Count - errors;
            if (result.GetValue(json))
            {
                CliJson.Write(context, ("file", path), ("valid", errors == 0), ("nodes", loaded.Parsed ? loaded.Config.Nodes.Count : 0),
                    ("links", loaded.Parsed ? loaded.Config.ConfiguredLinks.Count : 0),
                    ("errors", diagnostics.Where(d => d.IsError).OrderBy(d => d.Line).Select(d => d.ToString())),
                    ("warnings", diagnostics.Where(d => !d.IsError).OrderBy(d => d.Line).Select(d => d.ToString())));
                return errors > 0 ? ExitCodes.ConfigInvalid : ExitCodes.Ok;
            }

            foreach (var diagnostic in diagnostics.OrderBy(d => d.IsError ? 0 : 1).ThenBy(d => d.Line))
            {
                context.Error.WriteLine(diagnostic.ToString());
            }

            if (errors > 0)
            {
                context.Fail(string.Create(CultureInfo.InvariantCulture, $"{path}: {errors} error(s), {warnings} warning(s): not valid"));
                return ExitCodes.ConfigInvalid;
            }

            context.Output.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"{path}: valid ({Count(loaded.Config.Nodes.Count, "node")}, {Count(loaded.Config.ConfiguredLinks.Count, "link")}, {warnings} warning(s))"));
            return ExitCodes.Ok;
        });
        return check;
    }

    /// <summary>"1 node", "3 nodes".</summary>
    public static string Count(int count, string noun) => string.Create(CultureInfo.InvariantCulture, $"{count} {noun}{(count == 1 ? "" : "s")}");

    /// <summary>How long <c>config check</c> waits for a running node's link view before it checks without it.</summary>
    private static readonly TimeSpan NodeQueryTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The priorities the running node's peers announced against this file's: knet sends on the sender's best
    /// link, so a difference makes the two directions take different links. No node running: nothing to compare.
    /// </summary>
    private static List<Diagnostic> CheckPeerPriorities(CorosyncConfig config, string path, string socketPath)
    {
        var found = new List<Diagnostic>();
        if (!File.Exists(socketPath))
        {
            return found;
        }

        LinksStatus links;
        try
        {
            links = Task.Run(async () =>
            {
                using var timeout = new CancellationTokenSource(NodeQueryTimeout);
                await using var client = await RookeryClient.ConnectAsync(socketPath, timeout.Token).ConfigureAwait(false);
                return await client.GetLinksAsync(timeout.Token).ConfigureAwait(false);
            }).GetAwaiter().GetResult();
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException or System.Net.Sockets.SocketException or Rookery.Control.NodeControlException)
        {
            return found;
        }

        foreach (var peer in links.Nodes.Where(n => !n.Local))
        {
            foreach (var link in peer.Links.Where(l => l.PeerPriority is not null))
            {
                var ours = (int)(config.Totem.Interface(new LinkId((byte)link.Link))?.EffectivePriority ?? Defaults.KnetLinkPriority);
                if (ours != link.PeerPriority)
                {
                    found.Add(Diagnostic.Warning(path, 0, string.Create(CultureInfo.InvariantCulture,
                        $"link {link.Link}: knet_link_priority {ours} differs from priority {link.PeerPriority} on node {peer.Nodeid} ({peer.Name}), as its running daemon announced; traffic between these nodes may take different links in each direction")));
                }
            }
        }

        return found;
    }

    /// <summary>With crypto on, the key must be readable and long enough (corosync: <c>read_keyfile</c>); a missing key is a warning (the file may be for another machine).</summary>
    private static IEnumerable<Diagnostic> CheckKey(CorosyncConfig config, string path)
    {
        if (!config.Totem.IsSecure)
        {
            yield break;
        }

        var key = config.Totem.KeyFile ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(path)) ?? ".", Defaults.KeyFileName);
        if (!File.Exists(key))
        {
            yield return Diagnostic.Warning(path, 0, $"Could not open {key}: No such file or directory");
            yield break;
        }

        var warnings = new List<string>();
        if (Node.Shell.AuthKeyFile.Read(key, out var error, warnings) is null)
        {
            yield return Diagnostic.Error(path, 0, error!);
        }

        foreach (var warning in warnings)
        {
            yield return Diagnostic.Warning(path, 0, warning);
        }
    }
}
