using Rookery.Config;
using Rookery.Links;
using Rookery.Services;

namespace Rookery.Node.Tests.Stack;

/// <summary>
/// Goal: the keys the audit marks "start" for the Totem and link layers reach them (issue 9 point 8): netmtu, link_mode,
/// knet_pmtud_interval and knet_mtu were read and then ignored before.
/// Method: build the options the daemon builds from a parsed file, with and without the keys.
/// </summary>
public sealed class StartOptionsTests
{
    private const string Nodelist = "nodelist {\n node {\n  nodeid: 1\n  ring0_addr: 127.0.1.1\n }\n}\n";

    [Fact]
    public void Totem_takes_netmtu_from_the_file()
    {
        var set = ConfigLoader.Parse("totem {\n version: 2\n netmtu: 1500\n}\n" + Nodelist, "f").Config;
        var unset = ConfigLoader.Parse("totem {\n version: 2\n}\n" + Nodelist, "f").Config;

        Assert.Equal(1500, NodeStackFactory.TotemOptionsFor(set).NetMtu);
        Assert.Equal((int)Defaults.NetMtuKnet, NodeStackFactory.TotemOptionsFor(unset).NetMtu);
    }

    [Fact]
    public void The_link_layer_takes_link_mode_pmtud_interval_and_knet_mtu_from_the_file()
    {
        var set = ConfigLoader.Parse("totem {\n version: 2\n link_mode: rr\n knet_pmtud_interval: 45\n knet_mtu: 1400\n}\n" + Nodelist, "f").Config;
        var unset = ConfigLoader.Parse("totem {\n version: 2\n}\n" + Nodelist, "f").Config;

        var options = LinkLayerOptions.From(set.Totem);
        var defaults = LinkLayerOptions.From(unset.Totem);

        Assert.Equal((LinkPolicy.RoundRobin, Duration.FromSeconds(45), 1400), (options.Policy, options.PmtudInterval, options.ManualMtu));
        Assert.Equal((LinkPolicy.Passive, LinksDefaults.PmtudInterval, 0), (defaults.Policy, defaults.PmtudInterval, defaults.ManualMtu));
        Assert.Equal(LinkPolicy.Active, LinkLayerOptions.From(ConfigLoader.Parse("totem {\n link_mode: active\n}\n", "f").Config.Totem).Policy);
    }
}
