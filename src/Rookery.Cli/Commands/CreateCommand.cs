using System.CommandLine;
using System.Globalization;
using System.Security.Cryptography;
using Rookery.Config;

namespace Rookery.Cli.Commands;

/// <summary>
/// <c>rookery create NAME</c>: writes a new corosync.conf in pvecm's layout and a fresh authkey
/// (pve-cluster: <c>ClusterConfig::create</c>, <c>PVE::Corosync::create_conf</c>). Refuses to
/// overwrite an existing configuration or key; writes nothing when any input is wrong.
/// </summary>
public static class CreateCommand
{
    /// <summary>Longest cluster name pvecm accepts.</summary>
    public const int ClusterNameLengthMax = 15;

    public static Command Build(CliContext context)
    {
        var name = new Argument<string>("NAME") { Description = "Cluster name (letters, digits, '-'; at most 15 characters)" };
        var nodeId = new Option<long?>("--nodeid") { Description = "Node id of this node (default 1)" };
        var votes = new Option<long?>("--votes") { Description = "Votes of this node (default 1)" };
        var coefficient = new Option<long?>("--token-coefficient") { Description = $"totem.token_coefficient in ms (default {Defaults.CreateTokenCoefficientMs})", HelpName = "MS" };
        var node = new Option<string>("--node") { Description = "Name of this node (default: the host name)" };
        var links = new LinkOptions(string.Empty);
        var command = new Command("create", "Create a new cluster configuration (corosync.conf and authkey), like pvecm create.");
        command.Arguments.Add(name);
        links.AddTo(command);
        command.Options.Add(nodeId);
        command.Options.Add(votes);
        command.Options.Add(coefficient);
        command.Options.Add(node);
        var json = NodeCommandSupport.JsonOption();
        command.Options.Add(json);
        context.SetAction(command, result =>
        {
            var errors = new List<string>();
            var clusterName = result.GetRequiredValue(name);
            CheckName("clustername", clusterName, ClusterNameLengthMax, errors);
            var nodeName = result.GetValue(node) ?? context.HostName();
            CheckName("node", nodeName, 63, errors);
            var id = Range("nodeid", result.GetValue(nodeId) ?? 1, 1, Limits.NodeIdMax, errors);
            var nodeVotes = Range("votes", result.GetValue(votes) ?? 1, 1, uint.MaxValue, errors);
            var tokenCoefficient = Range("token-coefficient", result.GetValue(coefficient) ?? Defaults.CreateTokenCoefficientMs, 0, uint.MaxValue, errors);
            var given = LinkOptions.ResolveNames(context, links.Parse(result, errors), IpVersion, errors);
            LinkOptions.CheckOwnAddresses(given, errors);
            Fail(errors);

            var linkList = given.Count > 0 ? given : [FallbackLink(context, nodeName)];
            var config = Model(clusterName, nodeName, id, nodeVotes, tokenCoefficient, linkList);
            var validation = ConfigValidator.Validate(config, context.ConfigPath(result), ValidationOptions.Default);
            Fail([.. validation.Where(d => d.IsError).Select(d => d.Message)]);
            var asJson = result.GetValue(json);
            var output = context.Output;
            Write(context, result, CanonicalWriter.Write(config), asJson ? TextWriter.Null : null);
            var identity = Rookery.Node.Join.NodeIdentity.For(context.ConfigPath(result));
            identity.Ensure(nodeName);
            if (asJson)
            {
                CliJson.Write(context, ("cluster_name", clusterName), ("node", nodeName), ("nodeid", id), ("config_version", 1L),
                    ("config_file", context.ConfigPath(result)), ("key_file", context.KeyPath(result)), ("fingerprint", identity.Fingerprint()));
            }
            else
            {
                output.WriteLine($"Writing the join identity to {identity.Directory} (fingerprint {identity.Fingerprint()})");
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>The <c>totem.ip_version</c> create writes (pvecm's create_conf), also the rule its host names are resolved by.</summary>
    public const string IpVersion = "ipv4-6";

    /// <summary>The configuration pvecm's create_conf builds, with config_version already raised to 1.</summary>
    public static CorosyncConfig Model(string clusterName, string nodeName, long nodeId, long votes, long tokenCoefficient, IReadOnlyList<LinkArgument> links)
    {
        var interfaces = links.Select(link => new InterfaceConfig(
            link.Link,
            link.Priority is { } priority and not 0 ? KeyValues.Of(("knet_link_priority", Text(priority))) : KeyValues.Empty));
        var nodeKeys = new List<KeyValue> { new("name", nodeName), new("nodeid", Text(nodeId)), new("quorum_votes", Text(votes)) };
        nodeKeys.AddRange(links.Select(link => new KeyValue(NodeConfig.RingKey(link.Link), link.Address)));
        var totem = KeyValues.Of(
            ("version", "2"),
            ("secauth", "on"),
            ("cluster_name", clusterName),
            ("config_version", "1"),
            ("ip_version", IpVersion),
            ("link_mode", "passive"),
            ("token_coefficient", Text(tokenCoefficient)));
        return new CorosyncConfig(
            new TotemConfig(true, totem, [.. interfaces]),
            [new NodeConfig(new KeyValues(nodeKeys))],
            new QuorumConfig(true, KeyValues.Of(("provider", Defaults.QuorumProvider))),
            new LoggingConfig(true, KeyValues.Of(("to_syslog", "yes"), ("debug", "off")), []));
    }

    internal static void CheckName(string what, string value, int lengthMax, List<string> errors)
    {
        if (value.Length > lengthMax)
        {
            errors.Add($"{what}: value may only be {lengthMax} characters long");
        }
        else if (!LinkOptions.IsNodeName(value))
        {
            errors.Add($"{what}: value does not look like a valid node name");
        }
    }

    internal static long Range(string what, long value, long min, long max, List<string> errors)
    {
        if (value < min)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{what}: value must have a minimum value of {min}"));
        }
        else if (value > max)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"{what}: value must have a maximum value of {max}"));
        }

        return value;
    }

    /// <summary>Throws one <see cref="CliException"/> carrying every message (one per line, each prefixed on output).</summary>
    internal static void Fail(IReadOnlyList<string> errors)
    {
        if (errors.Count > 0)
        {
            throw new CliException(string.Join("\nrookery: ", errors));
        }
    }

    internal static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);

    private static LinkArgument FallbackLink(CliContext context, string nodeName)
    {
        var address = context.Resolve(nodeName).FirstOrDefault(a => !global::System.Net.IPAddress.IsLoopback(a))
            ?? throw new CliException($"no links given and '{nodeName}' does not resolve to a non-loopback address; pass --link0 ADDR");
        return new LinkArgument(0, address.ToString(), null);
    }

    private static void Write(CliContext context, ParseResult result, string text, TextWriter? output = null)
    {
        var configFile = context.ConfigPath(result);
        var keyFile = context.KeyPath(result);
        if (File.Exists(configFile) || Directory.Exists(configFile))
        {
            throw new CliException($"cluster config '{configFile}' already exists");
        }

        if (File.Exists(keyFile) || Directory.Exists(keyFile))
        {
            throw new CliException($"authentication key '{keyFile}' already exists");
        }

        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(configFile))!);
        (output ?? context.Output).WriteLine($"Writing corosync key to {keyFile}");
        KeygenCommand.WriteKey(keyFile);
        try
        {
            (output ?? context.Output).WriteLine($"Writing corosync config to {configFile}");
            ConfigFile.WriteAtomic(configFile, global::System.Text.Encoding.UTF8.GetBytes(text), KeygenCommand.ConfigMode, overwrite: false);
        }
        catch
        {
            File.Delete(keyFile);
            throw;
        }
    }
}
