using Rookery.Config;
using Rookery.Node.Reload;

namespace Rookery.Node.Tests.Reload;

public sealed class ReloadPlannerTests
{
    private static readonly NodeId s_local = new(1);

    private static string Config(ulong version, bool link1 = false, string node2Ring0 = "127.0.1.2", string extraTotem = "", bool node4 = false, int priority1 = 10, string extraQuorum = "", string extraInterface0 = "") =>
        "totem {\n version: 2\n cluster_name: test\n config_version: " + version + "\n" + extraTotem +
        " interface {\n  linknumber: 0\n  knet_link_priority: 15\n" + extraInterface0 + " }\n" +
        (link1 ? " interface {\n  linknumber: 1\n  knet_link_priority: " + priority1 + "\n }\n" : "") +
        "}\nquorum {\n provider: corosync_votequorum\n" + extraQuorum + "}\nnodelist {\n" +
        Node(1, "127.0.1.1", link1 ? "127.0.2.1" : null) +
        Node(2, node2Ring0, link1 ? "127.0.2.2" : null) +
        Node(3, "127.0.1.3", link1 ? "127.0.2.3" : null) +
        (node4 ? Node(4, "127.0.1.4", link1 ? "127.0.2.4" : null) : "") + "}\n";

    private static string Node(int id, string ring0, string? ring1) =>
        $" node {{\n  nodeid: {id}\n  name: n{id}\n  ring0_addr: {ring0}\n" + (ring1 is null ? "" : $"  ring1_addr: {ring1}\n") + " }\n";

    private static CorosyncConfig Running(string text) => ConfigLoader.Load(text, "corosync.conf").Config;

    private static ReloadPlan Plan(string before, string after) =>
        ReloadPlanner.Plan(Running(before), ConfigLoader.Load(after, "/etc/rookery/corosync.conf"), s_local);

    [Fact]
    public void Adding_a_link_to_every_node_applies_and_names_the_new_sockets()
    {
        var plan = Plan(Config(4), Config(5, link1: true));

        Assert.True(plan.CanApply, string.Join("\n", plan.Refused.Concat(plan.Errors)));
        Assert.Contains("link 1 added: local addr: 127.0.2.1, port=5406", plan.Applied);
        Assert.Contains("totem.config_version: 4 -> 5", plan.Applied);
        Assert.Equal(["1/1/127.0.2.1", "2/1/127.0.2.2", "3/1/127.0.2.3"], plan.LinksAdded.Select(c => $"{c.Node}/{c.Link}/{c.Address}"));
        Assert.Empty(plan.LinksRemoved);
    }

    [Fact]
    public void Removing_a_link_and_changing_a_priority_apply()
    {
        var removed = Plan(Config(5, link1: true), Config(6));
        var reprioritised = Plan(Config(5, link1: true), Config(6, link1: true, priority1: 20));

        Assert.True(removed.CanApply);
        Assert.Contains("link 1 removed", removed.Applied);
        Assert.Equal(3, removed.LinksRemoved.Count);
        Assert.True(reprioritised.CanApply);
        Assert.Equal([(new LinkId(1), (byte)20)], reprioritised.PrioritiesChanged);
    }

    [Fact]
    public void Adding_and_removing_a_node_apply()
    {
        var added = Plan(Config(5), Config(6, node4: true));
        var removed = Plan(Config(6, node4: true), Config(7));

        Assert.True(added.CanApply);
        Assert.Equal([new NodeId(4)], added.NodesAdded);
        Assert.Contains("node n4 (nodeid 4) added", added.Applied);
        Assert.Equal([new NodeId(4)], removed.NodesRemoved);
    }

    [Fact]
    public void A_changed_address_on_an_existing_link_is_refused_with_corosyncs_words_and_nothing_applies()
    {
        var plan = Plan(Config(5), Config(6, link1: true, node2Ring0: "127.0.9.2"));

        Assert.False(plan.CanApply);
        Assert.Contains("new config has different address for link 0 (addr changed from 127.0.1.2 to 127.0.9.2). Internal value was NOT changed.", plan.Refused);
        Assert.Contains("To reconfigure an interface it must be deleted and recreated. A working interface needs to be available to corosync at all times", plan.Refused);
    }

    [Theory]
    [InlineData(" cluster_name: other\n", "Modified entry 'totem.cluster_name' in corosync.conf cannot be changed at run-time")]
    [InlineData(" netmtu: 1400\n", "Modified entry 'totem.netmtu' in corosync.conf cannot be changed at run-time")]
    public void Immutable_keys_are_refused(string change, string message)
    {
        var before = Config(5);
        var after = change.Contains("cluster_name", StringComparison.Ordinal)
            ? Config(6).Replace(" cluster_name: test\n", change, StringComparison.Ordinal)
            : Config(6, extraTotem: change);

        var plan = Plan(before, after);

        Assert.False(plan.CanApply);
        Assert.Contains(message, plan.Refused);
    }

    [Fact]
    public void An_invalid_file_gives_the_config_check_errors_and_applies_nothing()
    {
        var plan = Plan(Config(5), "totem {\n version: 2\n");

        Assert.False(plan.CanApply);
        Assert.Null(plan.Next);
        Assert.NotEmpty(plan.Errors);
        Assert.StartsWith("Unable to reload config file:", plan.Errors[0], StringComparison.Ordinal);
        Assert.Contains(plan.Errors, e => e.Contains("/etc/rookery/corosync.conf", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unchanged_file_applies_nothing_and_refuses_nothing()
    {
        var plan = Plan(Config(5, link1: true), Config(5, link1: true));

        Assert.True(plan.CanApply);
        Assert.Empty(plan.Applied);
    }

    [Fact]
    public void Changed_totem_timers_apply_live_and_the_effective_values_are_listed()
    {
        var plan = Plan(Config(5), Config(6, extraTotem: " token: 5000\n consensus: 7000\n"));

        Assert.True(plan.CanApply, string.Join("\n", plan.Refused.Concat(plan.Errors)));
        Assert.Contains("totem.token: (default) -> 5000", plan.Applied);
        Assert.Contains("totem.consensus: (default) -> 7000", plan.Applied);
        Assert.Contains("runtime.config.totem.token: 3650 -> 5650", plan.Applied);
        Assert.Contains("runtime.config.totem.consensus: 4380 -> 7000", plan.Applied);
        Assert.Equal(Duration.FromMilliseconds(5650), plan.TotemOptions!.Token);
        Assert.Equal(Duration.FromMilliseconds(7000), plan.TotemOptions.Consensus);
        Assert.False(plan.LinkTimingChanged, "Rookery's own link timers (no knet_ping_* keys) do not derive from the token");
        Assert.True(Plan(Config(5, extraInterface0: "  knet_ping_interval: 100\n"), Config(6, extraTotem: " token: 5000\n", extraInterface0: "  knet_ping_interval: 100\n")).LinkTimingChanged,
            "knet's ping timeout derives from the runtime token");
    }

    [Fact]
    public void A_new_node_raises_the_runtime_token_and_the_expected_votes()
    {
        var plan = Plan(Config(5), Config(6, node4: true));

        Assert.True(plan.CanApply, string.Join("\n", plan.Refused.Concat(plan.Errors)));
        Assert.Contains("runtime.config.totem.token: 3650 -> 4300", plan.Applied);
        Assert.Contains("votequorum: votes 1 -> 1, expected votes 3 -> 4, two_node 0 -> 0, wait_for_all 0 -> 0", plan.Applied);
        Assert.NotNull(plan.QuorumSettings);
    }

    [Fact]
    public void Quorum_keys_votequorum_rereads_apply_live()
    {
        var expected = Plan(Config(5), Config(6, extraQuorum: " expected_votes: 5\n"));
        var votes = Plan(Config(5), Config(6).Replace("  nodeid: 1\n", "  nodeid: 1\n  quorum_votes: 2\n", StringComparison.Ordinal));

        Assert.True(expected.CanApply, string.Join("\n", expected.Refused.Concat(expected.Errors)));
        Assert.Contains("quorum.expected_votes: (default) -> 5", expected.Applied);
        Assert.Contains("votequorum: votes 1 -> 1, expected votes 3 -> 5, two_node 0 -> 0, wait_for_all 0 -> 0", expected.Applied);
        Assert.Equal(5u, expected.QuorumSettings!.ExpectedVotes);
        Assert.True(votes.CanApply, string.Join("\n", votes.Refused.Concat(votes.Errors)));
        Assert.Contains("nodelist.node.1.quorum_votes: 1 -> 2", votes.Applied);
        Assert.Contains("votequorum: votes 1 -> 2, expected votes 3 -> 4, two_node 0 -> 0, wait_for_all 0 -> 0", votes.Applied);
    }

    [Theory]
    [InlineData(" wait_for_all: 1\n", "wait_for_all")]
    [InlineData(" last_man_standing: 1\n", "last_man_standing")]
    [InlineData(" auto_tie_breaker: 1\n", "auto_tie_breaker")]
    [InlineData(" allow_downscale: 1\n", "allow_downscale")]
    public void Quorum_keys_votequorum_reads_only_at_startup_are_refused_with_corosyncs_words(string change, string key)
    {
        var plan = Plan(Config(5), Config(6, extraQuorum: change, extraTotem: " token: 5000\n"));

        Assert.False(plan.CanApply);
        Assert.Contains($"Modified entry 'quorum.{key}' in corosync.conf cannot be changed at run-time", plan.Refused);
    }

    [Fact]
    public void Changed_knet_ping_timers_apply_to_existing_links()
    {
        var plan = Plan(Config(5), Config(6, extraInterface0: "  knet_ping_timeout: 900\n  knet_ping_interval: 150\n"));

        Assert.True(plan.CanApply, string.Join("\n", plan.Refused.Concat(plan.Errors)));
        Assert.Contains("link 0: knet_ping_timeout (default) -> 900", plan.Applied);
        Assert.Contains("link 0: knet_ping_interval (default) -> 150", plan.Applied);
        Assert.True(plan.LinkTimingChanged);
        Assert.Null(plan.TotemOptions);
    }

    [Fact]
    public void Keys_corosync_applies_live_that_rookery_does_not_use_are_accepted_and_said_so()
    {
        var plan = Plan(Config(5), Config(6, extraTotem: " downcheck: 2000\n"));

        Assert.True(plan.CanApply, string.Join("\n", plan.Refused.Concat(plan.Errors)));
        Assert.Contains("totem.downcheck: (default) -> 2000 (accepted; rookery does not use it)", plan.Applied);
    }

    [Fact]
    public void Link_layer_keys_rookery_applies_only_at_start_are_refused_at_reload()
    {
        var plan = Plan(Config(5), Config(6, extraTotem: " knet_pmtud_interval: 60\n knet_mtu: 1400\n"));

        Assert.False(plan.CanApply);
        Assert.Contains("Modified entry 'totem.knet_pmtud_interval' cannot be changed at run-time by rookery; restart the nodes to apply it", plan.Refused);
        Assert.Contains("Modified entry 'totem.knet_mtu' cannot be changed at run-time by rookery; restart the nodes to apply it", plan.Refused);
    }
}
