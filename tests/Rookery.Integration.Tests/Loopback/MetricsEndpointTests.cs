using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.RegularExpressions;
using Rookery.Integration.Tests.Testbed;

namespace Rookery.Integration.Tests.Loopback;

/// <summary>A three-node loopback cluster with two links whose node 1 serves <c>--metrics 127.0.0.1:0</c>.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class MetricsClusterFixture : IAsyncLifetime
{
    public LoopbackCluster Cluster { get; } = Written();

    public async ValueTask InitializeAsync()
    {
        Cluster.Start(1, "--metrics", "127.0.0.1:0");
        Cluster.Start(2);
        Cluster.Start(3);
        await LoopbackClusterTests.WaitForMembersAsync(Cluster, [1, 2, 3], TimeSpan.FromSeconds(60));
    }

    public ValueTask DisposeAsync() => Cluster.DisposeAsync();

    private static LoopbackCluster Written()
    {
        var cluster = new LoopbackCluster(third: true);
        for (var id = 1; id <= LoopbackCluster.NodeCount; id++)
        {
            cluster.WriteConfig(id, configVersion: 3, withLink1: true);
        }

        return cluster;
    }
}

/// <summary>
/// Goal: <c>rookery daemon --metrics ADDR:PORT</c> serves the node's state at <c>/metrics</c> in the Prometheus text
/// format, as an independent parser reads it (Debian's python3-prometheus-client), and the values follow the cluster:
/// members, quorum, per peer and link connected/active/latency, and a link taken out of service.
/// Method: real daemons on loopback; node 1 binds port 0 and logs the address it serves; the test scrapes it over HTTP.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class MetricsEndpointTests(MetricsClusterFixture fixture) : IClassFixture<MetricsClusterFixture>
{
    private static readonly TimeSpan s_deadline = TimeSpan.FromSeconds(30);

    private LoopbackCluster Cluster => fixture.Cluster;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Metrics_follow_membership_quorum_and_links_and_parse_as_prometheus_text()
    {
        var url = await MetricsUrlAsync();
        using var http = new HttpClient();
        using var response = await http.GetAsync(url, Token);
        Assert.Equal(System.Net.HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; version=0.0.4; charset=utf-8", response.Content.Headers.ContentType?.ToString());

        var samples = await ScrapeAsync(http, url);
        Assert.Equal(1, Value(samples, "rookery_quorate"));
        Assert.Equal(3, Value(samples, "rookery_members"));
        Assert.Equal(3, Value(samples, "rookery_total_votes"));
        Assert.Equal(3, Value(samples, "rookery_config_version"));
        foreach (var peer in new[] { "2", "3" })
        {
            Assert.Equal(1, Value(samples, "rookery_peer_reachable", ("peer", peer)));
            foreach (var link in new[] { "0", "1" })
            {
                Assert.Equal(1, Value(samples, "rookery_link_connected", ("peer", peer), ("link", link)));
                Assert.Equal(1, Value(samples, "rookery_link_up_transitions_total", ("peer", peer), ("link", link)));
                Assert.True(Value(samples, "rookery_link_latency_seconds", ("peer", peer), ("link", link)) is > 0 and < 1);
            }

            // Passive mode: link 1 (priority 20) carries the data, link 0 (priority 15) stands by.
            Assert.Equal(1, Value(samples, "rookery_link_active", ("peer", peer), ("link", "1")));
            Assert.Equal(0, Value(samples, "rookery_link_active", ("peer", peer), ("link", "0")));
            Assert.Equal(20, Value(samples, "rookery_link_priority", ("peer", peer), ("link", "1")));
        }

        Assert.Contains(samples, sample => sample.Name == "rookery_dropped_packets_total" && sample.Labels.GetValueOrDefault("reason") == "rx_crypt_errors");

        // Totem and cpg: the ring turns, the node entered at least one ring, the services got their sync messages.
        Assert.True(Value(samples, "rookery_totem_token_rotations_total") > 0);
        Assert.True(Value(samples, "rookery_totem_ring_changes_total") >= 1);
        Assert.True(Value(samples, "rookery_totem_messages_delivered_total") > 0);
        Assert.True(Value(samples, "rookery_totem_messages_sent_total") > 0);
        Assert.True(Value(samples, "rookery_totem_retransmits_total") >= 0);
        Assert.True(Value(samples, "rookery_cpg_groups") >= 0);
        var rotations = Value(samples, "rookery_totem_token_rotations_total");
        Assert.True(
            await Eventually.TrueAsync(() => Value(ScrapeAsync(http, url).GetAwaiter().GetResult(), "rookery_totem_token_rotations_total") > rotations, s_deadline),
            "the token rotation counter did not move");

        var disable = LoopbackCluster.Cli("link", "disable", "1", "--socket", Cluster.SocketPath(1));
        Assert.True(disable.ExitCode == 0, disable.Output + disable.Error);
        try
        {
            var moved = await Eventually.TrueAsync(
                () =>
                {
                    var now = ScrapeAsync(http, url).GetAwaiter().GetResult();
                    return new[] { "2", "3" }.All(peer =>
                        Value(now, "rookery_link_enabled", ("peer", peer), ("link", "1")) == 0 &&
                        Value(now, "rookery_link_active", ("peer", peer), ("link", "0")) == 1);
                },
                s_deadline,
                TimeSpan.FromMilliseconds(100));
            Assert.True(moved, "link 0 did not become active in the metrics after link 1 was disabled:\n" + await http.GetStringAsync(url, Token));
        }
        finally
        {
            LoopbackCluster.Cli("link", "enable", "1", "--socket", Cluster.SocketPath(1));
        }
    }

    [Fact]
    public async Task Other_paths_are_404_and_other_methods_405()
    {
        var url = await MetricsUrlAsync();
        using var http = new HttpClient();
        using var missing = await http.GetAsync(url.Replace("/metrics", "/other", StringComparison.Ordinal), Token);
        Assert.Equal(System.Net.HttpStatusCode.NotFound, missing.StatusCode);
        using var post = await http.PostAsync(url, new StringContent(""), Token);
        Assert.Equal(System.Net.HttpStatusCode.MethodNotAllowed, post.StatusCode);
    }

    [Fact]
    public async Task A_bad_or_busy_metrics_address_stops_the_daemon_with_a_clear_error()
    {
        var bad = await LoopbackCluster.CliProcessAsync("daemon", "--config", Cluster.ConfigPath(1), "--metrics", "localhost");
        Assert.Equal(2, bad.ExitCode);
        Assert.Contains("--metrics: 'localhost' is not ADDRESS:PORT", bad.Error, StringComparison.Ordinal);

        // A port another program holds: the daemon says so and stops (after its node started: it needs the node).
        using var holder = new TcpListener(System.Net.IPAddress.Loopback, 0);
        holder.Start();
        var port = ((System.Net.IPEndPoint)holder.LocalEndpoint).Port;
        var directory = Path.Combine(Cluster.Directory, "busy");
        Directory.CreateDirectory(directory);
        var config = Path.Combine(directory, "corosync.conf");
        File.WriteAllText(config, string.Create(CultureInfo.InvariantCulture,
            $"totem {{\n  version: 2\n  cluster_name: busy\n  config_version: 1\n  secauth: on\n  keyfile: {Cluster.KeyPath}\n  interface {{\n    linknumber: 0\n  }}\n}}\nlogging {{\n  to_syslog: no\n}}\nquorum {{\n  provider: corosync_votequorum\n}}\nnodelist {{\n  node {{\n    name: solo\n    nodeid: 9\n    ring0_addr: 127.{Cluster.Base}.9.9\n  }}\n}}\n"));
        var result = await LoopbackCluster.CliProcessAsync(
            "daemon", "--config", config, "--state-dir", Path.Combine(directory, "state"), "--socket", Path.Combine(directory, "s.sock"),
            "--node", "solo", "--metrics", $"127.0.0.1:{port}");
        Assert.True(result.ExitCode == 1, result.Output + result.Error);
        Assert.Contains($"cannot serve metrics on 127.0.0.1:{port}: the address is already in use", result.Output + result.Error, StringComparison.Ordinal);
    }

    private async Task<string> MetricsUrlAsync()
    {
        string? url = null;
        Assert.True(
            await Eventually.TrueAsync(() => (url = ServingUrl().Match(Cluster.Log(1)) is { Success: true } match ? match.Groups[1].Value : null) is not null, s_deadline),
            "node 1 did not log the metrics address:\n" + Cluster.Log(1));
        return url!;
    }

    private static async Task<List<Sample>> ScrapeAsync(HttpClient http, string url) => Parse(await http.GetStringAsync(url, Token));

    /// <summary>Parses with prometheus_client's own text parser (Debian's python3-prometheus-client, hence Debian's python3); skips the test when the package is missing.</summary>
    private static List<Sample> Parse(string exposition)
    {
        const string Script = """
            import json, sys
            try:
                from prometheus_client.parser import text_string_to_metric_families
            except ImportError:
                sys.exit(3)
            out = []
            for family in text_string_to_metric_families(sys.stdin.read()):
                for s in family.samples:
                    out.append({"name": s.name, "type": family.type, "labels": s.labels, "value": s.value})
            print(json.dumps(out))
            """;
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(Script);
        using var process = Process.Start(start)!;
        process.StandardInput.Write(exposition);
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode == 3)
        {
            Assert.Skip("python3-prometheus-client is not installed (./test.sh installs it when run as root)");
        }

        Assert.True(process.ExitCode == 0, $"prometheus_client could not parse the exposition: {error}\n{exposition}");
        var samples = new List<Sample>();
        foreach (var element in JsonDocument.Parse(output).RootElement.EnumerateArray())
        {
            var labels = element.GetProperty("labels").EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString() ?? "");
            samples.Add(new Sample(element.GetProperty("name").GetString()!, labels, element.GetProperty("value").GetDouble()));
        }

        return samples;
    }

    private static double Value(List<Sample> samples, string name, params (string Key, string Value)[] labels)
    {
        var found = samples.Where(s => s.Name == name && labels.All(l => s.Labels.GetValueOrDefault(l.Key) == l.Value)).ToList();
        Assert.True(found.Count == 1, $"{name}{{{string.Join(",", labels.Select(l => $"{l.Key}={l.Value}"))}}}: {found.Count} samples");
        return found[0].Value;
    }

    [GeneratedRegex(@"metrics: serving (http://\S+/metrics)")]
    private static partial Regex ServingUrl();

    private sealed record Sample(string Name, Dictionary<string, string> Labels, double Value);
}
