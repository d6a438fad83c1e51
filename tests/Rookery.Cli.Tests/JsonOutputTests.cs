using System.Text.Json;
using Rookery.Cli.Formatting;
using Rookery.Control;

namespace Rookery.Cli.Tests;

public sealed class JsonOutputTests
{
    private static string[] Names(JsonElement element) => element.EnumerateObject().Select(p => p.Name).ToArray();

    private static void AssertHas(string[] names, string[] required)
    {
        foreach (var name in required)
        {
            Assert.Contains(name, names);
        }
    }

    [Fact]
    public void Status_json_carries_the_engine_counters_under_their_names()
    {
        var status = Samples.ThreeNodeStatus() with { Counters = new Rookery.Control.EngineCounters(100, 20, 30, 1, 29, 2, 0, 7, 1) };
        using var document = JsonDocument.Parse(JsonOutput.Status(status));
        var counters = document.RootElement.GetProperty("counters");

        Assert.Equal(
            ["token_rotations", "messages_sent", "messages_received", "retransmits", "messages_delivered", "ring_changes", "tokens_lost", "group_messages_delivered", "groups"],
            Names(counters));
        Assert.Equal(29, counters.GetProperty("messages_delivered").GetInt64());
    }

    [Fact]
    public void Status_json_has_the_field_names_of_architecture_section_5()
    {
        using var document = JsonDocument.Parse(JsonOutput.Status(Samples.ThreeNodeStatus()));
        var root = document.RootElement;

        AssertHas(Names(root), ["cluster", "quorum", "members"]);
        AssertHas(Names(root.GetProperty("cluster")), ["name", "config_version", "transport", "secure_auth"]);
        AssertHas(Names(root.GetProperty("quorum")), ["quorate", "node_id", "ring_id", "expected_votes", "highest_expected", "total_votes", "quorum", "flags"]);
        var member = root.GetProperty("members")[0];
        AssertHas(Names(member), ["nodeid", "votes", "name", "local"]);
        Assert.Equal(1u, member.GetProperty("nodeid").GetUInt32());
        Assert.True(member.GetProperty("local").GetBoolean());
        Assert.Equal("1.c", root.GetProperty("quorum").GetProperty("ring_id").GetString());
        Assert.Equal(4ul, root.GetProperty("cluster").GetProperty("config_version").GetUInt64());
    }

    [Fact]
    public void Links_json_has_the_field_names_of_architecture_section_5()
    {
        using var document = JsonDocument.Parse(JsonOutput.Links(Samples.ThreeNodeLinks()));
        var root = document.RootElement;

        Assert.Equal(1u, root.GetProperty("local_nodeid").GetUInt32());
        var node = root.GetProperty("nodes")[1];
        AssertHas(Names(node), ["nodeid", "name", "reachable", "links"]);
        var link = node.GetProperty("links")[1];
        AssertHas(Names(link), ["link", "enabled", "connected", "active", "priority", "local_addr", "remote_addr", "latency_us", "tx_data_packets", "rx_data_packets", "down_count", "up_count"]);
        Assert.True(link.GetProperty("active").GetBoolean());
        Assert.Equal(900ul, link.GetProperty("tx_data_packets").GetUInt64());
    }

    [Fact]
    public void Links_json_adds_the_dropped_packet_counters()
    {
        var links = Samples.ThreeNodeLinks() with { Dropped = new DroppedPackets(3, 1, 7, 2, 0, 4, 120, 0, 0, 5, 6, 8, 9, 10) };

        using var document = JsonDocument.Parse(JsonOutput.Links(links));
        var dropped = document.RootElement.GetProperty("dropped");

        AssertHas(Names(dropped), ["rx_crypt_errors", "rx_malformed", "rx_unknown_source", "rx_unknown_host", "rx_wrong_link", "rx_not_reachable",
            "rx_duplicates", "rx_compressed", "rx_reassembly_errors", "rx_stale_pongs", "totem_decode_errors", "totem_strangers",
            "service_decode_errors", "tx_no_reachable_destination", "rejected"]);
        Assert.Equal(3, dropped.GetProperty("rx_crypt_errors").GetInt64());
        Assert.Equal(36, dropped.GetProperty("rejected").GetInt64());
    }

    [Fact]
    public void Nodes_json_lists_members_by_node_id()
    {
        using var document = JsonDocument.Parse(JsonOutput.Nodes(Samples.ThreeNodeStatus().Members.Reverse().ToArray()));

        var ids = document.RootElement.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("nodeid").GetUInt32());
        Assert.Equal([1u, 2u, 3u], ids);
    }
}
