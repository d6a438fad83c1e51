using Rookery.Config;
using Rookery.Node.Reload;

namespace Rookery.Node.Tests.Reload;

/// <summary>
/// Goal: the reload planner does with each key what the key audit (docs/config.md, column "daemon") says: a key
/// applied "at start" is refused at reload with a message naming it, a key applied "at start, reload" is applied
/// live and listed (issue 9 point 8).
/// Method: for each audited Totem and quorum key of those two kinds, plan a reload from a valid file to the same
/// file with that one key changed, and read the plan.
/// </summary>
public sealed class ReloadAuditTests
{
    /// <summary>A valid value other than the running one, for the keys whose reload behaviour is checked here.</summary>
    private static readonly Dictionary<string, string> s_changes = new(StringComparer.Ordinal)
    {
        ["totem.link_mode"] = "active",
        ["totem.netmtu"] = "1500",
        ["totem.knet_mtu"] = "1400",
        ["totem.knet_pmtud_interval"] = "60",
        ["totem.token"] = "5000",
        ["totem.token_coefficient"] = "800",
        ["totem.token_warning"] = "50",
        ["totem.token_retransmits_before_loss_const"] = "6",
        ["totem.join"] = "100",
        ["totem.send_join"] = "10",
        ["totem.consensus"] = "6000",
        ["totem.merge"] = "300",
        ["totem.fail_recv_const"] = "3000",
        ["totem.seqno_unchanged_const"] = "40",
        ["totem.window_size"] = "60",
        ["totem.max_messages"] = "20",
        ["totem.miss_count_const"] = "6",
        ["totem.cancel_token_hold_on_retransmit"] = "yes",
        ["quorum.expected_votes"] = "4",
        ["quorum.wait_for_all"] = "1",
        ["quorum.last_man_standing"] = "1",
        ["quorum.auto_tie_breaker"] = "1",
        ["quorum.allow_downscale"] = "1",
        ["quorum.expected_votes_tracking"] = "1",
    };

    public static TheoryData<string> Keys => [.. s_changes.Keys];

    [Theory]
    [MemberData(nameof(Keys))]
    public void A_reload_treats_the_key_as_its_audit_says(string path)
    {
        var entry = KeyAudit.Of(KeyCatalog.Find(path)!);
        var (section, key) = (path[..path.IndexOf('.', StringComparison.Ordinal)], path[(path.IndexOf('.', StringComparison.Ordinal) + 1)..]);
        var line = $" {key}: {s_changes[path]}\n";
        var after = section == "totem" ? File(extraTotem: line) : File(extraQuorum: line);

        var plan = ReloadPlanner.Plan(ConfigLoader.Load(File(), "corosync.conf").Config, ConfigLoader.Load(after, "corosync.conf"), new NodeId(1));

        Assert.Empty(plan.Errors);
        var said = string.Join("\n", plan.Applied.Concat(plan.Refused));
        if (entry.Effect == KeyEffect.Start)
        {
            Assert.Contains(plan.Refused, r => r.Contains($"'{path}'", StringComparison.Ordinal));
        }
        else
        {
            Assert.Equal(KeyEffect.Reload, entry.Effect);
            Assert.True(plan.CanApply, said);
            Assert.Contains(plan.Applied, a => a.StartsWith($"{path}:", StringComparison.Ordinal));
        }
    }

    private static string File(string extraTotem = "", string extraQuorum = "") =>
        "totem {\n version: 2\n cluster_name: audit\n config_version: 1\n" + extraTotem +
        " interface {\n  linknumber: 0\n }\n}\nquorum {\n provider: corosync_votequorum\n" + extraQuorum + "}\nnodelist {\n" +
        string.Concat(Enumerable.Range(1, 3).Select(id => $" node {{\n  nodeid: {id}\n  name: n{id}\n  ring0_addr: 127.0.1.{id}\n }}\n")) + "}\n";
}
