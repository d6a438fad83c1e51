using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Rookery.Config;
using Rookery.Control;
using Rookery.Node.Logging;
using Rookery.Node.Reload;
using Rookery.Services;

namespace Rookery.Node.Shell;

/// <content>
/// Cluster-wide configuration requests and their per-member reports. A reload (cfg RELOAD_CONFIG) or a config apply
/// (CONFIG_APPLY, the whole file) is delivered to every member in agreed order; each member answers with a
/// MEMBER_REPORT (applied / unchanged / refused with key and reason, its file's config_version, SHA-256 and link
/// set); the requesting node gathers the answers of the members of the ring the request was delivered in and names
/// every other node of the nodelist unreachable. A member with the newest config_version also hands its file to
/// members that rejoin with an older one (catch-up), which apply it before they provide service.
/// </content>
public sealed partial class ClusterNode
{
    /// <summary>How long a request waits to come back in agreed order (the node is not in a working ring otherwise).</summary>
    private static readonly TimeSpan s_requestDeliveryTimeout = TimeSpan.FromSeconds(30);

    /// <summary>How long the requester waits for the members' reports once its request was delivered.</summary>
    private static readonly TimeSpan s_memberReportWait = TimeSpan.FromSeconds(10);

    private readonly Dictionary<(MemberRequestKind Kind, ulong Id), PendingClusterRequest> _clusterRequests = [];
    private ulong _nextClusterRequest;

    /// <summary>
    /// Distributes <paramref name="text"/> as the new corosync.conf of every member, in one agreed step; with
    /// <paramref name="dryRun"/> only checks it against this node's running configuration.
    /// </summary>
    public async ValueTask<ReloadReport> ApplyConfigAsync(string text, bool dryRun, CancellationToken cancellationToken)
    {
        var check = await InvokeAsync(_ => CheckConfigToApply(text), cancellationToken).ConfigureAwait(false);
        if (dryRun || !check.Ok)
        {
            return check with { DryRun = dryRun };
        }

        return await RunClusterRequestAsync(
            MemberRequestKind.ConfigApply,
            (now, id) => _stack.RequestConfigApply(now, new ConfigApplyRequest(id, check.ConfigVersion, ConfigApplyKind.Edit, text)),
            cancellationToken).ConfigureAwait(false);
    }

    /// <summary>The requester's own checks before anything is sent: size, quorum, validity, a raised config_version, run-time applicability.</summary>
    private ReloadReport CheckConfigToApply(string text)
    {
        if (Encoding.UTF8.GetByteCount(text) > ClusterConfigMessages.ConfigTextSizeMax)
        {
            throw new NodeControlException(ControlErrorCodes.InvalidArgument,
                $"the new corosync.conf is larger than {ClusterConfigMessages.ConfigTextSizeMax} bytes; nothing was sent");
        }

        if (!_stack.Services.Quorum.Status.Quorate)
        {
            throw new NodeControlException(ControlErrorCodes.Refused, "cluster not ready - no quorum? (this node is not quorate; nothing was sent)");
        }

        if (!_stack.Services.EveryMemberRunsRookery)
        {
            var corosync = CorosyncMembers().ToList();
            throw new NodeControlException(ControlErrorCodes.Refused, corosync.Count > 0
                ? string.Create(CultureInfo.InvariantCulture,
                    $"{Nodes(corosync)} of the ring run{(corosync.Count == 1 ? "s" : "")} corosync, which cannot take a corosync.conf over the network: copy the file to every node and run 'rookery reload' (or 'corosync-cfgtool -R'); nothing was sent")
                : "the members of the ring are not known yet (a membership change is being synchronised): try again; nothing was sent");
        }

        var plan = ReloadPlanner.Plan(_config, ConfigLoader.Load(text, SentFileName, LocalValidation()), _stack.Local);
        var report = Report(plan, dryRun: false);
        if (plan.Next is { } next && next.Totem.ConfigVersion <= _config.Totem.ConfigVersion)
        {
            report = report with
            {
                Ok = false,
                Refused = [.. report.Refused, string.Create(CultureInfo.InvariantCulture,
                    $"totem.config_version: {next.Totem.ConfigVersion} is not higher than the running {_config.Totem.ConfigVersion}: raise it ('rookery config edit' raises it for you)")],
            };
        }

        return report;
    }

    /// <summary>The name diagnostics of a sent file carry (the sender's own file name is the CLI's to print).</summary>
    private const string SentFileName = "corosync.conf (sent)";

    private ValidationOptions LocalValidation() => new()
    {
        CheckLocalNode = true,
        LocalNodeName = _localNode.Name ?? _options.NodeName,
        LocalNodeRequired = true,
        HostName = _options.HostName(),
        LocalAddresses = _options.LocalAddresses(),
    };

    /// <summary>Sends a request, waits for its agreed delivery, then for the members' reports, and builds the cluster's report.</summary>
    private async Task<ReloadReport> RunClusterRequestAsync(MemberRequestKind kind, Action<Instant, ulong> send, CancellationToken cancellationToken)
    {
        var pending = new PendingClusterRequest();
        var requestId = await InvokeAsync(now =>
        {
            var id = ++_nextClusterRequest;
            _clusterRequests[(kind, id)] = pending;
            send(now, id);
            Flush(now);
            return id;
        }, cancellationToken).ConfigureAwait(false);
        try
        {
            try
            {
                await pending.Delivered.Task.WaitAsync(s_requestDeliveryTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                throw new NodeControlException(ControlErrorCodes.Refused,
                    $"the request was not delivered within {s_requestDeliveryTimeout.TotalSeconds} s: is this node in a ring? ('rookery status')");
            }

            try
            {
                await pending.AllReported.Task.WaitAsync(s_memberReportWait, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // The report names the members that did not answer.
            }

            return await InvokeAsync(_ => BuildClusterReport(pending), CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            await InvokeAsync(_ => _clusterRequests.Remove((kind, requestId)), CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>This node's outcome of a delivered request: kept when the request is ours, sent to the requester otherwise.</summary>
    private void AnswerClusterRequest(Instant now, NodeId requester, MemberRequestKind kind, ulong requestId, ReloadReport report, IReadOnlyList<LinkId>? fileLinks)
    {
        var outcome = !report.Ok ? MemberOutcome.Refused : report.Applied.Count > 0 ? MemberOutcome.Applied : MemberOutcome.Unchanged;
        byte links = 0;
        foreach (var link in fileLinks ?? [])
        {
            links |= (byte)(1 << link.Value);
        }

        var member = new MemberReport(requester.Value, requestId, kind, outcome, report.ConfigVersion, links, FileDigest(),
            report.Applied, report.Refused, report.Errors);
        if (requester != _stack.Local)
        {
            _stack.SendMemberReport(now, member);
            return;
        }

        if (_clusterRequests.TryGetValue((kind, requestId), out var pending))
        {
            pending.Local = report;
            pending.Reports[_stack.Local.Value] = member;
            if (_stack.Services.EveryMemberRunsRookery)
            {
                pending.Expected.UnionWith(_stack.Services.Members.Select(m => m.Value));
            }
            else
            {
                // A ring with a corosync member: no member sends a report (cfg 258 would be "discarded unknown message"
                // there), so nobody is waited for; the report says why each member is silent.
                pending.Expected.Add(_stack.Local.Value);
                pending.CorosyncMembers.UnionWith(CorosyncMembers());
                pending.Silent.UnionWith(_stack.Services.Members.Select(m => m.Value).Where(m => m != _stack.Local.Value));
            }

            pending.Delivered.TrySetResult();
            pending.CheckComplete();
        }
    }

    private void OnMemberReport(MemberReportReceived received)
    {
        if (received.From != _stack.Local
            && _clusterRequests.TryGetValue((received.Report.Kind, received.Report.RequestId), out var pending))
        {
            pending.Reports[received.From.Value] = received.Report;
            pending.CheckComplete();
        }
    }

    /// <summary>A new ring: members that were asked and are gone will not answer.</summary>
    private void OnRingChangedForRequests(IReadOnlyList<NodeId> members)
    {
        foreach (var pending in _clusterRequests.Values)
        {
            foreach (var asked in pending.Expected.Where(a => !members.Any(m => m.Value == a)))
            {
                pending.Left.Add(asked);
            }

            pending.CheckComplete();
        }
    }

    /// <summary>SHA-256 of this node's corosync.conf as it is on disk now (all zero when it cannot be read).</summary>
    private byte[] FileDigest()
    {
        try
        {
            return SHA256.HashData(File.ReadAllBytes(_options.ConfigPath));
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return new byte[ClusterConfigMessages.DigestSize];
        }
    }

    private ReloadReport BuildClusterReport(PendingClusterRequest pending)
    {
        var local = pending.Local!;
        var results = new List<MemberResult>();
        var known = _config.Nodes.Where(n => n.NodeId is not null).ToDictionary(n => n.NodeId!.Value);
        foreach (var id in known.Keys.Union(pending.Reports.Keys).Order())
        {
            var name = known.TryGetValue(id, out var node) ? node.DisplayName : id.ToString(CultureInfo.InvariantCulture);
            var isLocal = id == _stack.Local.Value;
            if (pending.Reports.TryGetValue(id, out var report))
            {
                results.Add(new MemberResult(id, name, isLocal, Outcome(report.Outcome), report.ConfigVersion, report.Applied, report.Refused, report.Errors,
                    FileSha256: Convert.ToHexStringLower(report.FileDigest)));
                continue;
            }

            if (pending.Silent.Contains(id))
            {
                results.Add(new MemberResult(id, name, isLocal, MemberOutcomes.NoReport, null, [], [], [], SilentReason(id, pending.CorosyncMembers)));
                continue;
            }

            var reason = pending.Left.Contains(id) ? "left the ring before it answered"
                : pending.Expected.Contains(id) ? $"no answer within {s_memberReportWait.TotalSeconds} s (a corosync node does not answer; otherwise see its log)"
                : "not a member of the ring";
            results.Add(new MemberResult(id, name, isLocal, MemberOutcomes.Unreachable, null, [], [], [], reason));
        }

        var ok = local.Ok && results.All(r => r.Outcome != MemberOutcomes.Refused);
        return local with { Ok = ok, Members = results, Warnings = FileWarnings(pending.Reports) };
    }

    /// <summary>Members of this ring whose SERVICE_BUILD did not list Rookery's service (127): corosync nodes.</summary>
    private IEnumerable<uint> CorosyncMembers() => _stack.Services.Members
        .Where(m => _stack.Services.Sync.ServicesOf(m) is { } services && !services.Contains(ServiceSync.RookeryService))
        .Select(m => m.Value);

    /// <summary>Why a member of a mixed ring sent no member report.</summary>
    internal static string SilentReason(uint member, IReadOnlyCollection<uint> corosyncMembers) => corosyncMembers.Contains(member)
        ? string.Create(CultureInfo.InvariantCulture,
            $"node {member} runs corosync: no Rookery member report (it reloads its own corosync.conf on this request, as on 'corosync-cfgtool -R'; its log says what it applied)")
        : string.Create(CultureInfo.InvariantCulture,
            $"node {member} runs Rookery, but {Nodes(corosyncMembers)} of the ring run{(corosyncMembers.Count == 1 ? "s" : "")} corosync: member reports are not sent in a mixed ring (corosync would log them as unknown); its log says what it applied");

    private static string Outcome(MemberOutcome outcome) => outcome switch
    {
        MemberOutcome.Applied => MemberOutcomes.Applied,
        MemberOutcome.Unchanged => MemberOutcomes.Unchanged,
        _ => MemberOutcomes.Refused,
    };

    /// <summary>Members' files that differ: the same config_version with other contents, or a link some files configure and others lack.</summary>
    internal static IReadOnlyList<string> FileWarnings(IReadOnlyDictionary<uint, MemberReport> reports)
    {
        var warnings = new List<string>();
        var valid = reports.Where(r => r.Value.Errors.Count == 0).OrderBy(r => r.Key).ToList();
        foreach (var sameVersion in valid.GroupBy(r => r.Value.ConfigVersion))
        {
            var byDigest = sameVersion.GroupBy(r => Convert.ToHexStringLower(r.Value.FileDigest)).ToList();
            if (byDigest.Count > 1)
            {
                var groups = string.Join("; ", byDigest.Select(g => $"{Nodes(g.Select(r => r.Key))}: sha256 {g.Key[..12]}"));
                warnings.Add(string.Create(CultureInfo.InvariantCulture,
                    $"members' corosync.conf files differ although all have config_version {sameVersion.Key} ({groups}): make them equal ('rookery config apply FILE' sends one file to every member)"));
            }
        }

        for (var link = 0; link < Limits.LinksMax; link++)
        {
            var with = valid.Where(r => (r.Value.ConfiguredLinks & (1 << link)) != 0).Select(r => r.Key).ToList();
            var without = valid.Where(r => (r.Value.ConfiguredLinks & (1 << link)) == 0).Select(r => r.Key).ToList();
            if (with.Count > 0 && without.Count > 0)
            {
                warnings.Add(string.Create(CultureInfo.InvariantCulture,
                    $"link {link} is configured in the file of {Nodes(with)} but not in the file of {Nodes(without)}: link {link} stays disconnected between them"));
            }
        }

        return warnings;
    }

    private static string Nodes(IEnumerable<uint> ids)
    {
        var list = ids.ToList();
        return (list.Count == 1 ? "node " : "nodes ") + string.Join(", ", list.Select(i => i.ToString(CultureInfo.InvariantCulture)));
    }

    /// <summary>
    /// A CONFIG_APPLY was delivered: check it as the requester did (with this node's own quorum and local node), write
    /// the file atomically, apply it as a reload does; an edit is answered with this node's report.
    /// </summary>
    private void OnConfigApplyRequested(Instant now, ConfigApplyRequested applyRequest)
    {
        var request = applyRequest.Request;
        var catchUp = request.Kind == ConfigApplyKind.CatchUp;
        if (catchUp && request.ConfigVersion <= _config.Totem.ConfigVersion)
        {
            // Offered to the members behind; this one is not.
            return;
        }

        var report = ApplySentConfig(now, applyRequest.From, request, out var fileLinks);
        if (!catchUp)
        {
            AnswerClusterRequest(now, applyRequest.From, MemberRequestKind.ConfigApply, request.RequestId, report, fileLinks);
        }
    }

    private ReloadReport ApplySentConfig(Instant now, NodeId from, ConfigApplyRequest request, out IReadOnlyList<LinkId>? fileLinks)
    {
        fileLinks = _config.ConfiguredLinks;
        var catchUp = request.Kind == ConfigApplyKind.CatchUp;
        ReloadReport Refuse(string reason, IReadOnlyList<string>? errors = null)
        {
            _log.Error(LogSubsystem.Cfg, $"config apply from node {from} refused: {reason}");
            return new ReloadReport(false, false, _options.ConfigPath, _config.Totem.ConfigVersion, [], [reason], errors ?? []);
        }

        if (!catchUp && !_stack.Services.Quorum.Status.Quorate)
        {
            return Refuse("cluster not ready - no quorum? (this node is not quorate)");
        }

        if (request.ConfigVersion <= _config.Totem.ConfigVersion)
        {
            return Refuse(string.Create(CultureInfo.InvariantCulture,
                $"totem.config_version: {request.ConfigVersion} is not higher than the running {_config.Totem.ConfigVersion} (another change was applied first: edit the current file again)"));
        }

        var loaded = ConfigLoader.Load(request.Text, SentFileName, LocalValidation());
        var plan = ReloadPlanner.Plan(_config, loaded, _stack.Local);
        if (!plan.CanApply)
        {
            if (catchUp && plan.Next is not null && TryWriteConfig(request.Text, out _))
            {
                // The newest file cannot be applied at run time: it is on disk now, and a restart reads it.
                _log.Error(LogSubsystem.Cfg, $"corosync.conf replaced by config_version {request.ConfigVersion} from node {from}, which cannot be applied at run time ({string.Join("; ", plan.Refused)}): exiting to start again with it");
                _exitCode = NodeStartException.GeneralExitCode;
                BeginShutdown(now, null);
            }

            return Refuse(plan.Refused.Concat(plan.Errors).FirstOrDefault() ?? "the file cannot be applied", plan.Errors) with { Refused = plan.Refused.Count > 0 ? plan.Refused : ["the sent corosync.conf is not valid on this node"] };
        }

        var previous = TryReadBytes(_options.ConfigPath);
        if (!TryWriteConfig(request.Text, out var writeError))
        {
            return Refuse($"cannot write {_options.ConfigPath}: {writeError}");
        }

        var bindErrors = Apply(now, plan);
        if (bindErrors.Count > 0)
        {
            if (previous is not null)
            {
                TryWriteConfig(Encoding.UTF8.GetString(previous), out _);
            }

            return Refuse(string.Join("; ", bindErrors));
        }

        fileLinks = plan.Next!.ConfiguredLinks;
        foreach (var line in plan.Applied)
        {
            _log.Notice(LogSubsystem.Cfg, $"reload: {line}");
        }

        _log.Notice(LogSubsystem.Cfg, $"corosync.conf config_version {request.ConfigVersion} from node {from} written to {_options.ConfigPath} and applied");
        PublishConfig(catchUp ? $"catch-up from node {from}" : $"config apply from node {from}", plan.Applied);
        if (_stack.Services.AwaitingConfig)
        {
            _stack.ConfigCaughtUp(now, request.ConfigVersion);
        }

        return Report(plan, dryRun: false);
    }

    /// <summary>This node has the newest file of the ring: send it to the members behind (they apply it before providing service).</summary>
    private void OnConfigDonorNeeded(Instant now, ConfigDonorNeeded donor)
    {
        if (!ConfigFile.TryReadText(_options.ConfigPath, out var text, out var readError))
        {
            _log.Warning(LogSubsystem.Cfg, $"cannot hand corosync.conf to node(s) {string.Join(", ", donor.Behind)}: {readError}");
            return;
        }

        var onDisk = ConfigLoader.Load(text, _options.ConfigPath);
        if (onDisk.HasErrors || onDisk.Config.Totem.ConfigVersion != donor.ConfigVersion || Encoding.UTF8.GetByteCount(text) > ClusterConfigMessages.ConfigTextSizeMax)
        {
            _log.Warning(LogSubsystem.Cfg, $"{_options.ConfigPath} is not the running configuration (config_version {donor.ConfigVersion}): not handed to node(s) {string.Join(", ", donor.Behind)}");
            return;
        }

        _log.Notice(LogSubsystem.Cfg, $"sending corosync.conf (config_version {donor.ConfigVersion}) to node(s) {string.Join(", ", donor.Behind)}, which joined with an older one");
        _stack.RequestConfigApply(now, new ConfigApplyRequest(0, donor.ConfigVersion, ConfigApplyKind.CatchUp, text));
    }

    private bool TryWriteConfig(string text, out string error)
    {
        try
        {
            var mode = OperatingSystem.IsWindows() || !File.Exists(_options.ConfigPath)
                ? UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead
                : File.GetUnixFileMode(_options.ConfigPath);
            ConfigFile.WriteAtomic(_options.ConfigPath, Encoding.UTF8.GetBytes(text), mode, overwrite: true);
            error = "";
            return true;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            error = ConfigFile.Reason(exception);
            return false;
        }
    }

    private static byte[]? TryReadBytes(string path)
    {
        try
        {
            return File.ReadAllBytes(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>A request of this node waiting for its delivery and its members' reports (touched on the loop thread only).</summary>
    private sealed class PendingClusterRequest
    {
        public TaskCompletionSource Delivered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource AllReported { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>This node's own outcome (set at delivery).</summary>
        public ReloadReport? Local { get; set; }

        /// <summary>Members of the ring the request was delivered in: each one answers.</summary>
        public HashSet<uint> Expected { get; } = [];

        /// <summary>Members of a mixed ring (a corosync node among them): none sends a report.</summary>
        public HashSet<uint> Silent { get; } = [];

        /// <summary>The corosync nodes of that ring.</summary>
        public SortedSet<uint> CorosyncMembers { get; } = [];

        /// <summary>Asked members that left the ring before answering.</summary>
        public HashSet<uint> Left { get; } = [];

        public Dictionary<uint, MemberReport> Reports { get; } = [];

        public void CheckComplete()
        {
            if (Delivered.Task.IsCompleted && Expected.All(m => Reports.ContainsKey(m) || Left.Contains(m)))
            {
                AllReported.TrySetResult();
            }
        }
    }
}
