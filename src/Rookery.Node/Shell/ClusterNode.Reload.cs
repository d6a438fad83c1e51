using Rookery.Config;
using Rookery.Control;
using Rookery.Node.Logging;
using Rookery.Node.Reload;
using Rookery.Services;

namespace Rookery.Node.Shell;

/// <content>
/// Runtime reload, as <c>corosync-cfgtool -R</c>: the requesting node multicasts a RELOAD_CONFIG; every member
/// that delivers it re-reads its own file, checks it with the same loader and validation as <c>rookery config
/// check</c>, and applies all of the changes or none, then sends its outcome back (MEMBER_REPORT): the requester
/// answers with every member's.
/// </content>
public sealed partial class ClusterNode
{
    public async ValueTask<ReloadReport> ReloadAsync(bool dryRun, CancellationToken cancellationToken)
    {
        if (dryRun)
        {
            return await InvokeAsync(_ => Report(PlanReload(), dryRun: true), cancellationToken).ConfigureAwait(false);
        }

        return await RunClusterRequestAsync(MemberRequestKind.Reload, (now, id) => _stack.RequestReload(now, id), cancellationToken).ConfigureAwait(false);
    }

    private ReloadPlan PlanReload()
    {
        var validation = new ValidationOptions
        {
            CheckLocalNode = true,
            LocalNodeName = _localNode.Name ?? _options.NodeName,
            LocalNodeRequired = true,
            HostName = _options.HostName(),
            LocalAddresses = _options.LocalAddresses(),
            Resolve = _options.Resolve,
        };
        return ReloadPlanner.Plan(_config, ConfigFile.Load(_options.ConfigPath, validation), _stack.Local);
    }

    private ReloadReport Report(ReloadPlan plan, bool dryRun) =>
        new(dryRun, plan.CanApply, _options.ConfigPath, plan.Next?.Totem.ConfigVersion ?? _config.Totem.ConfigVersion,
            plan.Applied, plan.Refused, plan.Errors);

    private void OnReloadRequested(Instant now, ReloadRequested request)
    {
        var plan = PlanReload();
        var fileLinks = plan.Next?.ConfiguredLinks;
        var report = Report(plan, dryRun: false);
        if (plan.CanApply)
        {
            var bindErrors = Apply(now, plan);
            if (bindErrors.Count > 0)
            {
                report = report with { Ok = false, Refused = bindErrors, Applied = [] };
            }
        }
        else
        {
            // All or nothing: the report says what was applied, and that is nothing.
            report = report with { Applied = [] };
        }

        foreach (var line in report.Errors)
        {
            _log.Error(LogSubsystem.Cfg, line);
        }

        foreach (var line in report.Refused)
        {
            _log.Notice(LogSubsystem.Cfg, line);
        }

        if (report.Ok)
        {
            foreach (var line in report.Applied)
            {
                _log.Notice(LogSubsystem.Cfg, $"reload: {line}");
            }

            if (report.Applied.Count > 0)
            {
                PublishConfig($"reload requested by node {request.From}", report.Applied);
            }
        }
        else
        {
            _log.Error(LogSubsystem.Cfg, "Errors in applying config, corosync.conf might not match the running system; nothing was changed");
        }

        AnswerClusterRequest(now, request.From, MemberRequestKind.Reload, request.RequestId, report, fileLinks);
    }

    /// <summary>Applies a checked plan. Sockets are opened first: if one cannot be bound, nothing is changed.</summary>
    private List<string> Apply(Instant now, ReloadPlan plan)
    {
        var next = plan.Next!;
        var localAfter = next.FindNode(_stack.Local)!;
        var errors = new List<string>();
        var opened = new List<LinkId>();
        foreach (var change in plan.LinksAdded.Where(c => c.Node == _stack.Local))
        {
            _links.OpenLocalLink(next, localAfter, change.Link, errors);
            if (errors.Count > 0)
            {
                foreach (var link in opened)
                {
                    _links.CloseLocalLink(link);
                }

                return errors;
            }

            opened.Add(change.Link);
        }

        // The last step that can fail: Totem takes the new timers or nothing changes (the plan validated them already).
        if (plan.TotemOptions is { } totemOptions && _stack.Totem.Reconfigure(totemOptions) is { Count: > 0 } totemErrors)
        {
            foreach (var link in opened)
            {
                _links.CloseLocalLink(link);
            }

            return [.. totemErrors];
        }

        var token = next.Timers.Token;
        foreach (var node in plan.NodesRemoved)
        {
            _links.RemovePeer(now, node);
        }

        foreach (var change in plan.LinksRemoved.Where(c => !plan.NodesRemoved.Contains(c.Node)))
        {
            if (change.Node == _stack.Local)
            {
                _links.CloseLocalLink(change.Link);
            }
            else
            {
                _links.RemovePeerLink(now, change.Node, change.Link);
            }
        }

        foreach (var node in plan.NodesAdded)
        {
            _links.AddPeer(now, next, next.FindNode(node)!, token, errors);
        }

        foreach (var change in plan.LinksAdded.Where(c => c.Node != _stack.Local && !plan.NodesAdded.Contains(c.Node)))
        {
            _links.AddPeerLink(now, next, change.Node, change.Link, change.Address, token, errors);
        }

        foreach (var (link, priority) in plan.PrioritiesChanged)
        {
            _links.SetPriority(now, link, priority);
        }

        if (plan.LinkTimingChanged)
        {
            _links.RefreshTiming(next, token, errors);
        }

        _config = next;
        if (plan.NodesAdded.Count > 0 || plan.NodesRemoved.Count > 0)
        {
            _stack.SetNodelist(now, Nodelist(next));
        }

        if (plan.QuorumSettings is { } quorumSettings && !_stack.ReloadQuorum(now, quorumSettings))
        {
            errors.Add("votequorum kept its running values: the new quorum settings were refused (see the VOTEQ lines)");
        }

        if (plan.LoggingChanged)
        {
            ApplyLogging(_log, _options, next);
        }

        _stack.SetConfigVersion(now, next.Totem.ConfigVersion);
        _stack.SetLinkPriorities(now, NodeStackFactory.LocalLinkPriorities(next, _stack.Local));
        foreach (var error in errors)
        {
            _log.Error(LogSubsystem.Cfg, error);
        }

        return [];
    }
}
