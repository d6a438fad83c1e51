using System.CommandLine;
using System.Globalization;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Rookery.Config;
using Rookery.Node.Join;

namespace Rookery.Cli.Commands;

/// <summary>
/// Join over the network (pvecm add): <c>rookery join-info</c> on a member prints the join information (cluster
/// name, the member's address per link, its certificate's fingerprint, the join secret) as one copyable string;
/// <c>rookery join --info STRING --link0 ADDR …</c> (or <c>rookery join HOST --fingerprint FP</c>, secret asked) on
/// the new machine runs pvecm's local checks, verifies the member's fingerprint over TLS, sends its links, and
/// when every member applied the new nodelist writes corosync.conf, the authkey (0400) and its own join identity.
/// Any refusal changes nothing, here or in the cluster.
/// </summary>
public static class JoinCommand
{
    /// <summary>How long connecting to the member may take.</summary>
    private static readonly TimeSpan s_connectTimeout = TimeSpan.FromSeconds(10);

    public static Command BuildInfo(CliContext context)
    {
        var node = new Option<string>("--node") { Description = "Name of this node (default: the host name, else found by address)" };
        var json = NodeCommandSupport.JsonOption();
        var command = new Command("join-info", "Print this member's join information for 'rookery join --info' (like the GUI's Join Information).");
        command.Options.Add(node);
        command.Options.Add(json);
        context.SetAction(command, result =>
        {
            var path = context.ConfigPath(result);
            var loaded = ConfigFile.Load(path);
            if (loaded.HasErrors)
            {
                throw new CliException($"Error: Corosync config '{path}' does not exist or is not valid - is this node part of a cluster? ('rookery config check')");
            }

            var config = loaded.Config;
            var local = LocalNode.Find(config, result.GetValue(node), context.HostName(), context.LocalAddresses()).Node
                ?? throw new CliException($"this host is not in the nodelist of {path}: pass --node NAME");
            var identity = NodeIdentity.For(path);
            if (!File.Exists(identity.CertificatePath) || !File.Exists(identity.SecretPath))
            {
                throw new CliException($"no join identity in {identity.Directory}: start the daemon once (it creates one), then run this again");
            }

            var info = new JoinInfo(config.Totem.ClusterName ?? "", local.DisplayName,
                local.RingAddresses.ToDictionary(r => r.Link.ToString(CultureInfo.InvariantCulture), r => r.Address),
                identity.Fingerprint(), JoinProtocol.Port, identity.ReadSecret(), config.Totem.ConfigVersion);
            var encoded = info.Encode();
            if (result.GetValue(json))
            {
                CliJson.Write(context, ("cluster_name", info.ClusterName), ("node", info.Node), ("fingerprint", info.Fingerprint), ("port", (long)info.Port),
                    ("addresses", info.PeerLinks.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => $"link{p.Key}={p.Value}")), ("config_version", info.ConfigVersion),
                    ("join_info", encoded));
                return ExitCodes.Ok;
            }

            context.Output.WriteLine($"Cluster:     {info.ClusterName}");
            context.Output.WriteLine($"Node:        {info.Node}");
            foreach (var (link, address) in info.PeerLinks.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                context.Output.WriteLine($"Link {link}:      {address}");
            }

            context.Output.WriteLine($"Fingerprint: {info.Fingerprint}");
            context.Output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"Port:        {info.Port}/tcp"));
            context.Output.WriteLine("Join Information (pass it to 'rookery join --info'; it holds the join secret):");
            context.Output.WriteLine(encoded);
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command BuildJoin(CliContext context)
    {
        var host = new Argument<string?>("HOST") { Description = "Address of a member (with --fingerprint; the secret is asked)", Arity = ArgumentArity.ZeroOrOne };
        var info = new Option<string>("--info") { Description = "The string 'rookery join-info' printed on a member" };
        var fingerprint = new Option<string>("--fingerprint") { Description = "SHA-256 fingerprint of the member's certificate (AA:BB:…, 32 pairs)" };
        var nodeId = new Option<long?>("--nodeid") { Description = "Node id (default: the smallest free one)" };
        var votes = new Option<long?>("--votes") { Description = "Votes of this node (default 1)" };
        var node = new Option<string>("--node") { Description = "Name of this node (default: the host name)" };
        var stateDir = new Option<string>("--state-dir") { Description = "State directory the daemon will use (for the start command printed)" };
        var noStart = new Option<bool>("--no-start") { Description = "Write the files only; print the command that starts the node" };
        var json = NodeCommandSupport.JsonOption();
        var links = new LinkOptions(" (priority is ignored: link priorities are set for the cluster)");
        var command = new Command("join", "Join this machine to a running cluster over the network, like pvecm add.");
        command.Arguments.Add(host);
        command.Options.Add(info);
        command.Options.Add(fingerprint);
        links.AddTo(command);
        command.Options.Add(nodeId);
        command.Options.Add(votes);
        command.Options.Add(node);
        command.Options.Add(stateDir);
        command.Options.Add(noStart);
        command.Options.Add(json);
        context.SetAction(command, result =>
        {
            var errors = new List<string>();
            var nodeName = result.GetValue(node) ?? context.HostName();
            CreateCommand.CheckName("node", nodeName, 63, errors);
            var requestedId = result.GetValue(nodeId) is { } id ? CreateCommand.Range("nodeid", id, 1, Limits.NodeIdMax, errors) : (long?)null;
            var nodeVotes = result.GetValue(votes) is { } v ? CreateCommand.Range("votes", v, 0, uint.MaxValue, errors) : (long?)null;
            var given = links.Parse(result, errors);
            CreateCommand.Fail(errors);
            var target = Target(context, result.GetValue(info), result.GetValue(host), result.GetValue(fingerprint));
            var configPath = context.ConfigPath(result);
            var keyPath = context.KeyPath(result);
            AssertJoinable(context, configPath, keyPath, given, target.Links);
            var asJson = result.GetValue(json);
            var say = asJson ? TextWriter.Null : context.Output;

            say.WriteLine($"Establishing connection with member '{target.Host}' port {target.Port}");
            var request = new JoinRequest(JoinProtocol.Version, target.Secret, nodeName, [.. given.Select(l => new JoinLink(l.Link, l.Address))], requestedId, nodeVotes);
            var response = Exchange(target, request);
            if (!response.Ok)
            {
                var lines = new List<string> { $"An error occurred on the cluster node: {response.Error}" };
                lines.AddRange((response.Details ?? []).Select(d => $"* {d}"));
                lines.Add("Cluster join aborted!");
                throw new CliException(string.Join('\n', lines));
            }

            say.WriteLine("Join request OK, finishing setup locally");
            Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(configPath))!);
            ConfigFile.WriteAtomic(keyPath, Convert.FromBase64String(response.Authkey!), UnixFileMode.UserRead, overwrite: false);
            ConfigFile.WriteAtomic(configPath, System.Text.Encoding.UTF8.GetBytes(response.CorosyncConf!), KeygenCommand.ConfigMode, overwrite: false);
            var identity = NodeIdentity.For(configPath);
            identity.Ensure(nodeName, response.Secret);
            say.WriteLine($"Writing corosync key to {keyPath}");
            say.WriteLine($"Writing corosync config to {configPath} (config_version {response.ConfigVersion})");
            say.WriteLine(string.Create(CultureInfo.InvariantCulture, $"successfully added node '{nodeName}' to cluster (nodeid {response.Nodeid})."));
            var start = StartCommand(configPath, nodeName, result.GetValue(stateDir));
            var started = !result.GetValue(noStart) && TryStartService(say);
            if (!started)
            {
                say.WriteLine($"Start the node with: {start}");
            }

            if (asJson)
            {
                CliJson.Write(context, ("node", nodeName), ("nodeid", (long?)response.Nodeid), ("config_version", response.ConfigVersion), ("config_file", configPath),
                    ("key_file", keyPath), ("fingerprint", identity.Fingerprint()), ("started", started), ("start_command", started ? null : start));
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private sealed record JoinTarget(string Host, int Port, string Fingerprint, string Secret, IReadOnlyList<int>? Links);

    private static JoinTarget Target(CliContext context, string? infoText, string? host, string? fingerprint)
    {
        if (infoText is not null)
        {
            var info = JoinInfo.TryDecode(infoText) ?? throw new CliException("Does not seem like a valid encoded Cluster Information! (copy the whole string 'rookery join-info' printed)");
            var first = info.PeerLinks.OrderBy(p => int.Parse(p.Key, CultureInfo.InvariantCulture)).First();
            return new JoinTarget(host ?? first.Value, info.Port, info.Fingerprint, info.Secret,
                [.. info.PeerLinks.Keys.Select(k => int.Parse(k, CultureInfo.InvariantCulture)).Order()]);
        }

        if (host is null)
        {
            throw new CliException("pass --info STRING (from 'rookery join-info' on a member), or HOST --fingerprint FP");
        }

        if (fingerprint is null || !NodeIdentity.IsFingerprint(fingerprint))
        {
            throw new CliException("fingerprint: value does not match the regex pattern ([A-Fa-f0-9]{2}:){31}[A-Fa-f0-9]{2} (see 'rookery join-info' on the member)");
        }

        context.Output.Write($"Please enter the join secret of '{host}': ");
        context.Output.Flush();
        var secret = context.Input.ReadLine()?.Trim();
        if (string.IsNullOrEmpty(secret))
        {
            throw new CliException("no join secret given: nothing was changed");
        }

        return new JoinTarget(host, JoinProtocol.Port, fingerprint, secret, null);
    }

    /// <summary>pvecm's assert_joinable: every problem at once, then one refusal; nothing is written.</summary>
    private static void AssertJoinable(CliContext context, string configPath, string keyPath, IReadOnlyList<LinkArgument> given, IReadOnlyList<int>? clusterLinks)
    {
        var errors = new List<string>();
        if (File.Exists(keyPath))
        {
            errors.Add($"authentication key '{keyPath}' already exists");
        }

        if (File.Exists(configPath))
        {
            errors.Add($"cluster config '{configPath}' already exists");
        }

        if (given.Count == 0)
        {
            errors.Add($"no links given: pass --linkN ADDR for each link of the cluster{(clusterLinks is null ? "" : $" ({string.Join(", ", clusterLinks.Select(l => $"link{l}"))})")}");
        }

        var local = context.LocalAddresses();
        foreach (var link in given)
        {
            if (!IPAddress.TryParse(link.Address, out var address))
            {
                errors.Add($"link{link.Link}: cannot use '{link.Address}': join takes IP addresses");
            }
            else if (!local.Contains(address) && !IPAddress.IsLoopback(address))
            {
                errors.Add($"link{link.Link}: cannot use IP '{link.Address}', not found on local node!");
            }
        }

        if (errors.Count > 0)
        {
            foreach (var link in given.Where(l => l.Priority is not null))
            {
                errors.Add($"link{link.Link}: priority is ignored on join (link priorities are cluster-wide)");
            }

            throw new CliException("detected the following error(s):\n" + string.Join('\n', errors.Select(e => $"* {e}")) + "\nCheck if node may join a cluster failed!");
        }
    }

    /// <summary>TLS to the member, its certificate checked against the fingerprint, one request, one answer.</summary>
    private static JoinResponse Exchange(JoinTarget target, JoinRequest request) => Task.Run(async () =>
    {
        using var timeout = new CancellationTokenSource(JoinProtocol.Timeout);
        using var tcp = new TcpClient();
        try
        {
            using var connect = new CancellationTokenSource(s_connectTimeout);
            await tcp.ConnectAsync(target.Host, target.Port, connect.Token).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is SocketException or OperationCanceledException)
        {
            throw new CliException($"cannot reach the member at {target.Host} port {target.Port} ({(exception is SocketException socket ? socket.SocketErrorCode.ToString() : "no answer within " + s_connectTimeout.TotalSeconds + " s")}): nothing was changed");
        }

        string? presented = null;
        await using var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, (_, certificate, _, _) =>
        {
            presented = certificate is null ? null : NodeIdentity.Fingerprint(certificate);
            return presented is not null && NodeIdentity.SameFingerprint(presented, target.Fingerprint);
        });
        try
        {
            await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = target.Host }, timeout.Token).ConfigureAwait(false);
        }
        catch (AuthenticationException) when (presented is not null && !NodeIdentity.SameFingerprint(presented, target.Fingerprint))
        {
            throw new CliException($"fingerprint mismatch: the member at {target.Host} presents {presented}, expected {target.Fingerprint.ToUpperInvariant()}: Fingerprint not verified, abort! (nothing was changed)");
        }
        catch (Exception exception) when (exception is AuthenticationException or IOException)
        {
            throw new CliException($"TLS with the member at {target.Host} port {target.Port} failed ({exception.Message}): nothing was changed");
        }

        await tls.WriteAsync(JoinProtocol.Serialize(request, JoinJsonContext.Default.JoinRequest), timeout.Token).ConfigureAwait(false);
        await tls.FlushAsync(timeout.Token).ConfigureAwait(false);
        var line = await JoinProtocol.ReadLineAsync(tls, timeout.Token).ConfigureAwait(false);
        return JoinProtocol.TryParse(line, JoinJsonContext.Default.JoinResponse)
            ?? throw new CliException($"the member at {target.Host} sent no valid answer: the cluster may or may not have added this node; check 'rookery status' on it");
    }).GetAwaiter().GetResult();

    private static string StartCommand(string configPath, string nodeName, string? stateDir) =>
        $"rookery daemon --config {configPath} --node {nodeName}{(stateDir is null ? "" : $" --state-dir {stateDir}")}";

    /// <summary>Starts the unit when systemd manages <c>rookery</c> here; false otherwise.</summary>
    private static bool TryStartService(TextWriter say)
    {
        if (!Directory.Exists("/run/systemd/system") || !File.Exists("/usr/lib/systemd/system/rookery.service") && !File.Exists("/etc/systemd/system/rookery.service"))
        {
            return false;
        }

        using var process = System.Diagnostics.Process.Start("systemctl", ["start", "rookery"]);
        process.WaitForExit();
        say.WriteLine(process.ExitCode == 0 ? "started rookery.service" : $"systemctl start rookery failed (exit {process.ExitCode}): see 'journalctl -u rookery'");
        return process.ExitCode == 0;
    }
}
