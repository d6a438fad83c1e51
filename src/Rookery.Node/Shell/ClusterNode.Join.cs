using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Rookery.Config;
using Rookery.Control;
using Rookery.Node.Join;

namespace Rookery.Node.Shell;

/// <content>
/// The member's half of a join (pvecm <c>addnode</c> behind <c>pvecm add</c>): the running cluster must be quorate,
/// the new node passes pvecm's checks against this node's file (which must be the running configuration), and the
/// new nodelist with config_version + 1 goes to every member through the same agreed step as <c>config apply</c>.
/// Only when every member applied it does the joining node get corosync.conf, the authkey and the join secret.
/// </content>
public sealed partial class ClusterNode
{
    /// <summary>The addresses the join endpoint listens on: this node's link addresses that are IP literals.</summary>
    public IReadOnlyList<IPAddress> JoinAddresses =>
        [.. _localNode.RingAddresses.Select(r => IPAddress.TryParse(r.Address, out var address) ? address : null).OfType<IPAddress>()];

    /// <summary>Serves one authenticated join request (the secret was checked by the endpoint).</summary>
    public async Task<JoinResponse> HandleJoinAsync(JoinRequest request, CancellationToken cancellationToken)
    {
        var prepared = await InvokeAsync(_ => PrepareJoin(request), cancellationToken).ConfigureAwait(false);
        if (prepared.Response is { } refused)
        {
            return refused;
        }

        ReloadReport report;
        try
        {
            report = await ApplyConfigAsync(prepared.Text!, dryRun: false, cancellationToken).ConfigureAwait(false);
        }
        catch (NodeControlException exception)
        {
            return new JoinResponse(false) { Error = exception.Message };
        }

        if (!report.Ok)
        {
            var details = (report.Members ?? []).Where(m => m.Outcome == MemberOutcomes.Refused)
                .SelectMany(m => m.Refused.Concat(m.Errors).Select(line => $"node {m.Nodeid}: {line}"))
                .Concat(report.Members is null ? report.Refused.Concat(report.Errors) : [])
                .ToList();
            return new JoinResponse(false) { Error = "the cluster refused the new nodelist", Details = details, Members = report.Members };
        }

        var keyFile = _config.Totem.KeyFile ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(_options.ConfigPath)) ?? ".", Defaults.KeyFileName);
        try
        {
            return new JoinResponse(true)
            {
                CorosyncConf = prepared.Text,
                Authkey = Convert.ToBase64String(await File.ReadAllBytesAsync(keyFile, cancellationToken).ConfigureAwait(false)),
                Secret = NodeIdentity.For(_options.ConfigPath).ReadSecret(),
                Nodeid = prepared.NodeId,
                ConfigVersion = report.ConfigVersion,
                Members = report.Members,
            };
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return new JoinResponse(false)
            {
                Error = $"node '{request.Node}' was added to the nodelist, but {keyFile} cannot be read here ({ConfigFile.Reason(exception)}): run 'rookery delnode {request.Node}' and try again",
            };
        }
    }

    private (JoinResponse? Response, string? Text, uint NodeId) PrepareJoin(JoinRequest request)
    {
        static (JoinResponse?, string?, uint) Refuse(string error, IReadOnlyList<string>? details = null) =>
            (new JoinResponse(false) { Error = error, Details = details }, null, 0);

        if (!_stack.Services.Quorum.Status.Quorate)
        {
            return Refuse("cluster not ready - no quorum?");
        }

        var errors = new List<string>();
        if (request.Node.Length is 0 or > 63 || !NodeName().IsMatch(request.Node))
        {
            errors.Add($"node: value does not look like a valid node name: '{request.Node}'");
        }

        if (request.Nodeid is { } id && (id < 1 || id > Limits.NodeIdMax))
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"nodeid: value must be 1..{Limits.NodeIdMax}, not {id}"));
        }

        if (request.Votes is { } votes && (votes < 0 || votes > uint.MaxValue))
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"votes: value must be 0..{uint.MaxValue}, not {votes}"));
        }

        if (request.Links.Count == 0 || request.Links.Any(l => l.Link is < 0 or >= Limits.LinksMax || !IPAddress.TryParse(l.Address, out _)))
        {
            errors.Add($"links: every link needs a number 0..{Limits.LinksMax - 1} and an IP address");
        }

        if (errors.Count > 0)
        {
            return Refuse("invalid join request", errors);
        }

        if (!ConfigFile.TryReadText(_options.ConfigPath, out var text, out var readError))
        {
            return Refuse(readError);
        }

        var editor = ConfigEditor.TryOpen(text, _options.ConfigPath, out _);
        if (editor is null || editor.Config.Totem.ConfigVersion != _config.Totem.ConfigVersion)
        {
            return Refuse($"{_options.ConfigPath} on the member is not its running configuration (config_version {_config.Totem.ConfigVersion}): 'rookery reload' or 'rookery config apply' first");
        }

        var notes = new List<string>();
        var nodeId = NodeAddition.Add(editor, request.Node, request.Nodeid, request.Votes ?? 1,
            [.. request.Links.Select(l => new NodeLink((byte)l.Link, l.Address))], request.Force, errors, notes);
        if (nodeId is null)
        {
            return Refuse("Check if node may join a cluster failed!", errors);
        }

        editor.BumpConfigVersion();
        return (null, editor.Text, nodeId.Value);
    }

    /// <summary>pvecm's node name format (<c>pve-node</c>).</summary>
    [GeneratedRegex("^[a-zA-Z0-9]([a-zA-Z0-9-]*[a-zA-Z0-9])?$")]
    private static partial Regex NodeName();
}
