using Rookery.Config;
using Rookery.Node.Reload;

namespace Rookery.Node.Tests.Reload;

public sealed class ReloadPlannerTests
{
    private static readonly NodeId s_local = new(1);

    private static string Config(ulong version, bool link1 = false, string node2Ring0 = "127.0.1.2", string extraTotem = "", bool node4 = false, int priority1 = 10) =>
        "totem {\n version: 2\n cluster_name: test\n config_version: " + version + "\n" + extraTotem +
        " interface {\n  linknumber: 0\n  knet_link_priority: 15\n }\n" +
        (link1 ? " interface {\n  linknumber: 1\n  knet_link_priority: " + priority1 + "\n }\n" : "") +
        "}\nquorum {\n provider: corosync_votequorum\n}\nnodelist {\n" +
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
}
