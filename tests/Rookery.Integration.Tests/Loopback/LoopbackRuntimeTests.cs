using System.Diagnostics;
using System.Net;
using System.Text.Json;
using Rookery.Client;
using Rookery.Integration.Tests.Testbed;
using Rookery.Control;

namespace Rookery.Integration.Tests.Loopback;

/// <summary>A second three-node loopback cluster (its own addresses), started at config_version 5.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class LoopbackRuntimeFixture : LoopbackClusterFixture
{
    public const ulong InitialConfigVersion = 5;

    public LoopbackRuntimeFixture()
        : base(Written())
    {
    }

    private static LoopbackCluster Written()
    {
        var cluster = new LoopbackCluster(second: true);
        for (var id = 1; id <= LoopbackCluster.NodeCount; id++)
        {
            cluster.WriteConfig(id, InitialConfigVersion, withLink1: false);
        }

        return cluster;
    }
}

/// <summary>
/// Real processes: a reload changes Totem timers and votequorum's expected votes live (and refuses a startup-only
/// quorum key atomically); a node whose file has a lower config_version than the cluster refuses to join.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class LoopbackRuntimeTests(LoopbackRuntimeFixture fixture) : IClassFixture<LoopbackRuntimeFixture>
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(60);

    private LoopbackCluster Cluster => fixture.Cluster;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Reload_applies_timers_and_expected_votes_live_and_refuses_a_startup_only_key_atomically()
    {
        await LoopbackClusterTests.WaitForMembersAsync(Cluster, [1, 2, 3], s_deadline);
        var version = Cluster.WrittenConfigVersion(1);
        var ringBefore = (await StatusAsync(1)).Quorum.RingId;

        // token 2000 -> 3000 (runtime token with 3 nodes: + 650) and expected_votes 4 (quorum 3 of 3 present).
        WriteAll(version + 1, token: 3000, quorumKeys: "  expected_votes: 4\n");
        var reload = LoopbackCluster.Cli("reload", "--socket", Cluster.SocketPath(2));
        Assert.True(reload.ExitCode == 0, reload.Output + reload.Error);
        Assert.Contains("applied: totem.token: 2000 -> 3000", reload.Output, StringComparison.Ordinal);
        Assert.Contains("applied: runtime.config.totem.token: 2650 -> 3650", reload.Output, StringComparison.Ordinal);
        Assert.Contains("applied: runtime.config.totem.consensus: 3180 -> 4380", reload.Output, StringComparison.Ordinal);
        Assert.Contains("applied: quorum.expected_votes: (default) -> 4", reload.Output, StringComparison.Ordinal);
        for (var id = 1; id <= LoopbackCluster.NodeCount; id++)
        {
            var node = id;
            Assert.True(
                await Eventually.TrueAsync(() => QuorumOf(node) is (4, 3, true), s_deadline, TimeSpan.FromMilliseconds(100)),
                $"node {node} did not take expected_votes 4:\n" + LoopbackCluster.Cli("status", "--socket", Cluster.SocketPath(node)).Output);
            Assert.True(
                await Eventually.TrueAsync(() => Cluster.Log(node).Contains("[CFG   ] reload: runtime.config.totem.token: 2650 -> 3650", StringComparison.Ordinal), s_deadline),
                Cluster.Log(node));
        }

        var after = await StatusAsync(1);
        Assert.Equal(ringBefore, after.Quorum.RingId);
        Assert.Equal(version + 1, after.Cluster.ConfigVersion);

        // wait_for_all is read only at startup: refused with corosync's words, and the token change beside it is not applied either.
        WriteAll(version + 2, token: 4000, quorumKeys: "  expected_votes: 4\n  wait_for_all: 1\n");
        var refused = LoopbackCluster.Cli("reload", "--socket", Cluster.SocketPath(1));
        Assert.True(refused.ExitCode != 0, refused.Output);
        Assert.Contains("Modified entry 'quorum.wait_for_all' in corosync.conf cannot be changed at run-time", refused.Output + refused.Error, StringComparison.Ordinal);
        Assert.DoesNotContain("applied:", refused.Output, StringComparison.Ordinal);
        var unchanged = await StatusAsync(3);
        Assert.Equal(version + 1, unchanged.Cluster.ConfigVersion);
        Assert.Equal(4u, unchanged.Quorum.ExpectedVotes);

        // rookery expected N (pvecm expected): raised cluster-wide at run time, then back to the file's value.
        var expected = LoopbackCluster.Cli("expected", "5", "--socket", Cluster.SocketPath(1));
        Assert.True(expected.ExitCode == 0, expected.Error);
        Assert.True(await Eventually.TrueAsync(() => QuorumOf(3) is (5, 3, true), s_deadline, TimeSpan.FromMilliseconds(100)), LoopbackCluster.Cli("status", "--socket", Cluster.SocketPath(3)).Output);
        Assert.Equal(0, LoopbackCluster.Cli("expected", "4", "--socket", Cluster.SocketPath(2)).ExitCode);
        Assert.True(await Eventually.TrueAsync(() => QuorumOf(1) is (4, 3, true), s_deadline, TimeSpan.FromMilliseconds(100)));

        // Back to the running configuration (the next test may restart a node from its file).
        WriteAll(version + 1, token: 3000, quorumKeys: "  expected_votes: 4\n");
        var dryRun = LoopbackCluster.Cli("reload", "--dry-run", "--socket", Cluster.SocketPath(1));
        Assert.True(dryRun.ExitCode == 0, dryRun.Output + dryRun.Error);
    }

    [Fact]
    public async Task A_node_with_a_lower_config_version_refuses_to_join_with_corosyncs_message()
    {
        await LoopbackClusterTests.WaitForMembersAsync(Cluster, [1, 2, 3], s_deadline);
        var version = Cluster.WrittenConfigVersion(1);
        var running = File.ReadAllText(Cluster.ConfigPath(3));

        Cluster.Kill(3);
        await LoopbackClusterTests.WaitForMembersAsync(Cluster, [1, 2], s_deadline);
        await File.WriteAllTextAsync(Cluster.ConfigPath(3), running.Replace($"config_version: {version}\n", $"config_version: {version - 1}\n", StringComparison.Ordinal), Token);
        Cluster.Start(3);

        var exit = await Cluster.WaitForExitAsync(3, s_deadline);
        Assert.True(exit == 1, $"exit {exit?.ToString() ?? "none (still running)"}\n{Cluster.Log(3)}");
        Assert.Contains($"Received config version ({version}) is different than my config version ({version - 1})! Exiting", Cluster.Log(3), StringComparison.Ordinal);
        await LoopbackClusterTests.WaitForMembersAsync(Cluster, [1, 2], s_deadline);
        Assert.Equal(version, (await StatusAsync(1)).Cluster.ConfigVersion);

        // With the cluster's version it joins again.
        await File.WriteAllTextAsync(Cluster.ConfigPath(3), running, Token);
        Cluster.Start(3);
        await LoopbackClusterTests.WaitForMembersAsync(Cluster, [1, 2, 3], s_deadline);
    }

    /// <summary>Node <paramref name="id"/>'s expected votes, quorum and quorate flag, from <c>rookery status --json</c>.</summary>
    private (uint ExpectedVotes, uint Quorum, bool Quorate)? QuorumOf(int id)
    {
        var result = LoopbackCluster.Cli("status", "--json", "--socket", Cluster.SocketPath(id));
        if (result.ExitCode is not (0 or 2))
        {
            return null;
        }

        using var document = JsonDocument.Parse(result.Output);
        var quorum = document.RootElement.GetProperty("quorum");
        return (quorum.GetProperty("expected_votes").GetUInt32(), quorum.GetProperty("quorum").GetUInt32(), quorum.GetProperty("quorate").GetBoolean());
    }

    [Fact]
    public async Task Group_watch_prints_every_delivery_and_membership_as_json_lines_and_group_send_numbers_its_messages()
    {
        await LoopbackClusterTests.WaitForMembersAsync(Cluster, [1, 2, 3], s_deadline);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(Cluster.SocketPath(2)));
        var watch = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in new[] { LoopbackCluster.RookeryDll, "group", "watch", "numbers", "--socket", Cluster.SocketPath(2) })
        {
            watch.ArgumentList.Add(argument);
        }

        using var watcher = Process.Start(watch)!;
        try
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Token);
            timeout.CancelAfter(s_deadline);
            var lines = new List<string>();
            async Task<JsonElement> NextAsync()
            {
                var line = await watcher.StandardOutput.ReadLineAsync(timeout.Token) ?? throw new InvalidOperationException("group watch ended:\n" + string.Join("\n", lines));
                lines.Add(line);
                using var document = JsonDocument.Parse(line);
                return document.RootElement.Clone();
            }

            // Its own join comes first; only then is it sure to see every message.
            var joined = await NextAsync();
            Assert.Equal("membership", joined.GetProperty("event").GetString());
            Assert.Equal("numbers", joined.GetProperty("group").GetString());
            Assert.Equal(2u, joined.GetProperty("joined")[0].GetProperty("nodeid").GetUInt32());

            var send = await LoopbackCluster.CliProcessAsync("group", "send", "numbers", "--count", "20", "--interval", "5", "--size", "64", "--socket", Cluster.SocketPath(1));
            Assert.True(send.ExitCode == 0, send.Error);
            var sequences = new List<ulong>();
            while (sequences.Count < 20)
            {
                var line = await NextAsync();
                foreach (var field in new[] { "group", "ring_id", "time" })
                {
                    Assert.True(line.TryGetProperty(field, out _), $"no {field} in {lines[^1]}");
                }

                if (line.GetProperty("event").GetString() == "deliver")
                {
                    Assert.Equal(1u, line.GetProperty("nodeid").GetUInt32());
                    Assert.True(line.GetProperty("pid").GetUInt32() > 0, lines[^1]);
                    Assert.Equal(64, line.GetProperty("size").GetInt32());
                    sequences.Add(line.GetProperty("seq").GetUInt64());
                }
                else
                {
                    Assert.Equal("membership", line.GetProperty("event").GetString());
                    Assert.True(line.TryGetProperty("members", out _), lines[^1]);
                }
            }

            Assert.Equal(Enumerable.Range(1, 20).Select(i => (ulong)i), sequences);
        }
        finally
        {
            watcher.Kill();
            await watcher.WaitForExitAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Datagrams_from_strangers_are_counted_in_links_and_status_not_logged_one_by_one()
    {
        await LoopbackClusterTests.WaitForMembersAsync(Cluster, [1, 2, 3], s_deadline);
        var before = Dropped(1);
        var logLines = Cluster.Log(1).Split('\n').Length;
        using (var stranger = new System.Net.Sockets.UdpClient(new IPEndPoint(IPAddress.Parse(Cluster.Address(0, 99)), 0)))
        {
            var target = new IPEndPoint(IPAddress.Parse(Cluster.Address(0, 1)), 5405);
            for (var i = 0; i < 100; i++)
            {
                await stranger.SendAsync(new byte[] { 0x40, 0x01, 0x02, 0x03, (byte)i, 0xff }, target, Token);
            }
        }

        Assert.True(
            await Eventually.TrueAsync(() => Dropped(1).GetProperty("rx_unknown_source").GetInt64() >= before.GetProperty("rx_unknown_source").GetInt64() + 100, s_deadline, TimeSpan.FromMilliseconds(100)),
            LoopbackCluster.Cli("links", "--socket", Cluster.SocketPath(1)).Output);
        var links = LoopbackCluster.Cli("links", "--socket", Cluster.SocketPath(1)).Output;
        Assert.Matches(@"\nDropped packets \(counted, not logged\): crypto: \d+ malformed: \d+ unknown source: \d{3,} ", links);
        var status = LoopbackCluster.Cli("status", "--socket", Cluster.SocketPath(1));
        Assert.Matches(@"\nRejected packets: \d{3,} \(bad or from strangers", status.Output);
        Assert.True(Cluster.Log(1).Split('\n').Length < logLines + 20, "datagrams from a stranger were logged one by one:\n" + Cluster.Log(1));
        Assert.True(Cluster.IsRunning(1));
    }

    /// <summary>The <c>dropped</c> object of node <paramref name="id"/>'s <c>rookery links --json</c>.</summary>
    private JsonElement Dropped(int id)
    {
        var result = LoopbackCluster.Cli("links", "--json", "--socket", Cluster.SocketPath(id));
        using var document = JsonDocument.Parse(result.Output);
        return document.RootElement.GetProperty("dropped").Clone();
    }

    private void WriteAll(ulong version, int token, string quorumKeys)
    {
        for (var id = 1; id <= LoopbackCluster.NodeCount; id++)
        {
            Cluster.WriteConfig(id, version, withLink1: false, token: token, quorumKeys: quorumKeys);
        }
    }

    private async Task<ClusterStatus> StatusAsync(int id)
    {
        await using var client = await RookeryClient.ConnectAsync(Cluster.SocketPath(id), Token);
        return await client.GetStatusAsync(Token);
    }
}
