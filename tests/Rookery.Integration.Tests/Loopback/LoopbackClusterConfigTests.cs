using System.Text.Json;

namespace Rookery.Integration.Tests.Loopback;

/// <summary>
/// Goal: cluster-wide configuration on real daemons: <c>rookery reload</c> reports every member (applied, unchanged,
/// refused with key and reason) and warns when the members' files differ; <c>rookery config apply</c> writes one
/// file on every member in one agreed step; two concurrent edits cannot both win; a node that was down while the
/// file changed gets the newest file when it starts again.
/// Method: the second loopback cluster (three <c>rookery daemon</c> processes); files written per node by the test,
/// commands run through the CLI's code, outcomes read from the output, the files on disk and <c>status</c>.
/// </summary>
public sealed partial class LoopbackRuntimeTests
{
    [Fact]
    public async Task Reload_reports_every_member_and_warns_when_one_members_file_differs()
    {
        await LoopbackClusterTests.WaitForMembersAsync(Cluster, [1, 2, 3], s_deadline);
        var version = await ApplyUniformAsync();

        // Node 1 adds link 1 with a raised version; node 2 keeps the cluster's file; node 3's differs by a comment only.
        await File.WriteAllTextAsync(Cluster.ConfigPath(1), Cluster.ConfigText(version + 1, withLink1: true), Token);
        await File.WriteAllTextAsync(Cluster.ConfigPath(3), "# edited by hand on node 3\n" + Cluster.ConfigText(version, withLink1: false), Token);
        var reload = LoopbackCluster.Cli("reload", "--socket", Cluster.SocketPath(2));
        TestContext.Current.TestOutputHelper?.WriteLine($"$ rookery reload\n{reload.Output}{reload.Error}");
        Assert.True(reload.ExitCode == 0, reload.Output + reload.Error);
        Assert.Contains($"node 1 (n1): applied, config_version {version + 1}\n  applied: link 1 added", reload.Output, StringComparison.Ordinal);
        Assert.Contains($"node 2 (n2, local): unchanged, config_version {version}\n", reload.Output, StringComparison.Ordinal);
        Assert.Contains($"node 3 (n3): unchanged, config_version {version}\n", reload.Output, StringComparison.Ordinal);
        Assert.Contains("warning: link 1 is configured in the file of node 1 but not in the file of nodes 2, 3: link 1 stays disconnected between them", reload.Output, StringComparison.Ordinal);
        Assert.Contains($"warning: members' corosync.conf files differ although all have config_version {version} (node 2: sha256 ", reload.Output, StringComparison.Ordinal);

        // Node 3's file now changes a key that cannot change at run time: node 3 refuses (key and reason), exit 1.
        await File.WriteAllTextAsync(Cluster.ConfigPath(3), Cluster.ConfigText(version + 1, withLink1: false, quorumKeys: "  wait_for_all: 1\n"), Token);
        var refused = LoopbackCluster.Cli("reload", "--json", "--socket", Cluster.SocketPath(1));
        Assert.True(refused.ExitCode == 1, refused.Output + refused.Error);
        using (var document = JsonDocument.Parse(refused.Output))
        {
            var members = document.RootElement.GetProperty("members").EnumerateArray().ToDictionary(m => m.GetProperty("nodeid").GetUInt32());
            Assert.Equal("unchanged", members[1].GetProperty("outcome").GetString());
            Assert.Equal("unchanged", members[2].GetProperty("outcome").GetString());
            Assert.Equal("refused", members[3].GetProperty("outcome").GetString());
            Assert.Contains("quorum.wait_for_all", members[3].GetProperty("refused")[0].GetString(), StringComparison.Ordinal);
            Assert.False(document.RootElement.GetProperty("ok").GetBoolean());
        }

        // One file for everybody again, through config apply: every member applies it and every file is that file.
        await ApplyUniformAsync();
    }

    [Fact]
    public async Task Config_apply_lets_one_of_two_concurrent_edits_win_and_a_node_that_was_down_gets_the_new_file_on_start()
    {
        await LoopbackClusterTests.WaitForMembersAsync(Cluster, [1, 2, 3], s_deadline);
        var version = await ApplyUniformAsync();

        // Two edits with the same new config_version, sent at once from two nodes: one wins everywhere, the other is refused.
        var first = Path.Combine(Cluster.Directory, "edit-a.conf");
        var second = Path.Combine(Cluster.Directory, "edit-b.conf");
        await File.WriteAllTextAsync(first, Cluster.ConfigText(version + 1, withLink1: false, token: 2100), Token);
        await File.WriteAllTextAsync(second, Cluster.ConfigText(version + 1, withLink1: false, token: 2200), Token);
        var edits = await Task.WhenAll(
            Task.Run(() => LoopbackCluster.Cli("config", "apply", first, "--socket", Cluster.SocketPath(1)), Token),
            Task.Run(() => LoopbackCluster.Cli("config", "apply", second, "--socket", Cluster.SocketPath(2)), Token));
        var outcome = string.Join("\n", edits.Select(e => $"exit {e.ExitCode}\n{e.Output}{e.Error}"));
        Assert.True(edits.Count(e => e.ExitCode == 0) == 1, outcome);
        var winner = await File.ReadAllTextAsync(edits[0].ExitCode == 0 ? first : second, Token);
        for (var id = 1; id <= LoopbackCluster.NodeCount; id++)
        {
            Assert.Equal(winner, await File.ReadAllTextAsync(Cluster.ConfigPath(id), Token));
            Cluster.NoteConfigVersion(id, version + 1);
        }

        Assert.Contains("totem.config_version", edits.Single(e => e.ExitCode != 0).Output + edits.Single(e => e.ExitCode != 0).Error, StringComparison.Ordinal);

        // Node 3 stops; the cluster's file changes; node 3 starts with its old file and takes the new one before it serves.
        var old = await File.ReadAllTextAsync(Cluster.ConfigPath(3), Token);
        Cluster.Kill(3);
        await LoopbackClusterTests.WaitForMembersAsync(Cluster, [1, 2], s_deadline);
        var newest = Cluster.ConfigText(version + 2, withLink1: false);
        var file = Path.Combine(Cluster.Directory, "newest.conf");
        await File.WriteAllTextAsync(file, newest, Token);
        var apply = LoopbackCluster.Cli("config", "apply", file, "--socket", Cluster.SocketPath(1));
        TestContext.Current.TestOutputHelper?.WriteLine($"$ rookery config apply newest.conf\n{apply.Output}{apply.Error}");
        Assert.True(apply.ExitCode == 0, apply.Output + apply.Error);
        Assert.Contains("node 3 (n3): unreachable: not a member of the ring", apply.Output, StringComparison.Ordinal);
        Assert.Equal(old, await File.ReadAllTextAsync(Cluster.ConfigPath(3), Token));

        Cluster.Start(3);
        await LoopbackClusterTests.WaitForMembersAsync(Cluster, [1, 2, 3], s_deadline);
        Assert.Equal(newest, await File.ReadAllTextAsync(Cluster.ConfigPath(3), Token));
        Assert.Equal(version + 2, (await StatusAsync(3)).Cluster.ConfigVersion);
        Assert.Contains($"Received config version ({version + 2}) is newer than my config version ({version + 1}): waiting for corosync.conf from the cluster", Cluster.Log(3), StringComparison.Ordinal);
        for (var id = 1; id <= LoopbackCluster.NodeCount; id++)
        {
            Cluster.NoteConfigVersion(id, version + 2);
        }
    }

    [Fact]
    public async Task Events_start_with_the_current_state_then_show_link_1_coming_up_and_the_config_change()
    {
        await LoopbackClusterTests.WaitForMembersAsync(Cluster, [1, 2, 3], s_deadline);
        var version = await ApplyUniformAsync();
        await using var client = await Rookery.Client.RookeryClient.ConnectAsync(Cluster.SocketPath(3), Token);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(Token);
        var seen = new List<Rookery.Control.ClusterEvent>();
        var watching = Task.Run(async () =>
        {
            await foreach (var clusterEvent in client.EventsAsync(stop.Token))
            {
                lock (seen)
                {
                    seen.Add(clusterEvent);
                }
            }
        }, Token);
        bool Seen(Func<Rookery.Control.ClusterEvent, bool> match)
        {
            lock (seen)
            {
                return seen.Any(match);
            }
        }

        // The current state comes as membership, quorum, config, then the links: wait for the last of them, then look.
        Assert.True(await Testbed.Eventually.TrueAsync(() => Seen(e => e.Type == "link_active" && e.Initial == true && e.Nodeid == 2), s_deadline),
            "no initial active-link event for node 2: " + string.Join("\n", Snapshot()));
        Assert.True(Seen(e => e.Type == "quorum" && e.Initial == true), "no initial quorum event");
        Assert.True(Seen(e => e.Type == "membership" && e.Initial == true && e.Members!.SequenceEqual([1u, 2u, 3u])));
        Assert.True(Seen(e => e.Type == "link" && e.Initial == true && e.Nodeid == 1 && e.Link == 0 && e.State == "up"));

        // The seed's link add as one config apply on node 2: node 3 sees its link 1 to nodes 1 and 2 come up, and the change.
        var file = Path.Combine(Cluster.Directory, "link1.conf");
        await File.WriteAllTextAsync(file, Cluster.ConfigText(version + 1, withLink1: true), Token);
        var apply = LoopbackCluster.Cli("config", "apply", file, "--socket", Cluster.SocketPath(2));
        Assert.True(apply.ExitCode == 0, apply.Output + apply.Error);
        for (var id = 1; id <= LoopbackCluster.NodeCount; id++)
        {
            Cluster.NoteConfigVersion(id, version + 1);
        }

        Assert.True(
            await Testbed.Eventually.TrueAsync(() => Seen(e => e.Type == "link" && e.Nodeid == 1 && e.Link == 1 && e.State == "up")
                && Seen(e => e.Type == "link" && e.Nodeid == 2 && e.Link == 1 && e.State == "up"), s_deadline),
            "link 1 up events missing: " + string.Join("\n", Snapshot()));
        Assert.True(Seen(e => e.Type == "config" && e.ConfigVersion == version + 1 && e.Source == "config apply from node 2" && e.Changes!.Any(c => c.StartsWith("link 1 added", StringComparison.Ordinal))),
            string.Join("\n", Snapshot()));
        Assert.False(Seen(e => e.Type is "node_left" or "node_joined"), string.Join("\n", Snapshot()));
        await stop.CancelAsync();
        await watching;

        await ApplyUniformAsync();

        IEnumerable<string> Snapshot()
        {
            lock (seen)
            {
                return seen.Select(e => System.Text.Json.JsonSerializer.Serialize(e, Rookery.Control.ControlJsonContext.Default.ClusterEvent)).ToList();
            }
        }
    }

    /// <summary>
    /// Sends the harness's file (token 2000, no link 1) with the next config_version from node 1 through
    /// <c>config apply</c>; asserts that every member applied it or had it already and that every file is that file.
    /// </summary>
    private async Task<ulong> ApplyUniformAsync()
    {
        var running = (await StatusAsync(1)).Cluster.ConfigVersion;
        var version = Math.Max(running, Enumerable.Range(1, LoopbackCluster.NodeCount).Max(id => Cluster.WrittenConfigVersion(id))) + 1;
        var text = Cluster.ConfigText(version, withLink1: false);
        var file = Path.Combine(Cluster.Directory, "uniform.conf");
        await File.WriteAllTextAsync(file, text, Token);
        var apply = LoopbackCluster.Cli("config", "apply", file, "--socket", Cluster.SocketPath(1));
        TestContext.Current.TestOutputHelper?.WriteLine($"$ rookery config apply uniform.conf\n{apply.Output}{apply.Error}");
        Assert.True(apply.ExitCode == 0, apply.Output + apply.Error);
        for (var id = 1; id <= LoopbackCluster.NodeCount; id++)
        {
            Assert.Matches($"node {id} \\(n{id}(, local)?\\): (applied|unchanged), config_version {version}\n", apply.Output);
            Assert.Equal(text, await File.ReadAllTextAsync(Cluster.ConfigPath(id), Token));
            Cluster.NoteConfigVersion(id, version);
        }

        return version;
    }
}
