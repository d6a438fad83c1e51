using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.RegularExpressions;
using Rookery.Integration.Tests.Knet;
using Rookery.Integration.Tests.Mixed;
using Rookery.Integration.Tests.Testbed;
using Rookery.Node.Logging;

namespace Rookery.Integration.Tests.Hostile;

/// <summary>
/// Goal: a daemon flooded with traffic that could make it log keeps its log small: every per-message line is
/// rate-limited with a count of what was not logged (issue 15), and the cluster is not disturbed.
/// Method: three <c>rookery daemon</c>s on the namespace testbed (debug off, corosync.conf's log file). For
/// <see cref="Flood"/> at once, against node 1: a user the daemon refuses (uid 65534) asks for corosync IPC
/// connections in a loop (each refusal is an error line); a root libqb client sends requests of random ids, sizes
/// and bytes to cmap and reconnects whenever it is dropped; random datagrams hit the knet port from an address in
/// no nodelist and from node 2's own address; control-socket clients connect, send garbage frames and hang up. The
/// log's growth over the flood and the window after it (when the counts are written) is divided by that time and
/// must stay under <see cref="BytesPerSecondMax"/>; the refusals must have been counted in a summary line; every
/// node must keep its ring and quorum.
/// </summary>
[Collection(TestbedCollection.Name)]
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class LogFloodTests
{
    private static readonly TimeSpan Flood = TimeSpan.FromSeconds(12);

    /// <summary>
    /// Each rate-limited kind writes at most 10 lines and one count per 10 s (about 1.5 KiB): the handful of kinds a
    /// flood like this reaches stays well under this; one line per refusal (about 100 B) at the hundreds per second a
    /// single client manages is far above it.
    /// </summary>
    private const long BytesPerSecondMax = 2048;

    private static readonly int[] All = [1, 2, 3];

    [Fact]
    public async Task AFloodOfRefusedIpcClientsGarbageRequestsDatagramsAndControlFramesKeepsTheLogBounded()
    {
        await using var cluster = await HostileClients.StartRookeryClusterAsync();
        using var work = new TemporaryDirectory();
        var before = await cluster.AgreeAsync(All, All, quorate: true, "after start");
        var log = cluster.Corosync.LogPath(1);
        var start = HostileClients.Length(log);
        var clock = Stopwatch.StartNew();
        var seconds = Flood.TotalSeconds.ToString(CultureInfo.InvariantCulture);
        using var refused = HostileClients.Start(cluster.Testbed, 1, work.Path, 65534, "deny", "cpg", seconds);
        using var garbage = HostileClients.Start(cluster.Testbed, 1, work.Path, null, "garbage", "cmap", seconds);
        var datagrams = Task.Run(() => FloodDatagrams(cluster.Testbed), CancellationToken.None);
        var frames = Task.Run(() => FloodControlSocket(cluster.Socket(1)), CancellationToken.None);
        var refusedOutput = await refused.ExitAsync(Flood * 3);
        var garbageOutput = await garbage.ExitAsync(Flood * 3);
        var sentDatagrams = await datagrams;
        var sentFrames = await frames;
        var flooded = clock.Elapsed;

        // The windows open at the end of the flood close within one window; their counts are written then.
        var attempts = Number(refusedOutput, "attempts");
        Assert.True(attempts > 1000, $"the refused client made only {attempts} attempts: {refusedOutput}");
        Assert.True(
            await Eventually.TrueAsync(() => Summaries(HostileClients.ReadFrom(log, start), "Denied connection attempt from") > 0 && clock.Elapsed > flooded + LogRateLimiter.Window, flooded + LogRateLimiter.Window + TimeSpan.FromSeconds(15), TimeSpan.FromMilliseconds(200)),
            $"no count of the refused connections was logged:\n{Tail(HostileClients.ReadFrom(log, start))}");
        var elapsed = clock.Elapsed;
        var text = HostileClients.ReadFrom(log, start);
        var written = HostileClients.Length(log) - start;
        var rate = written / elapsed.TotalSeconds;
        var report = string.Create(CultureInfo.InvariantCulture,
            $"log flood: {attempts} refused IPC connections, garbage client {garbageOutput.Trim()}, {sentDatagrams} datagrams, {sentFrames} control frames in {flooded.TotalSeconds:0.0} s; " +
            $"log grew {written} bytes in {elapsed.TotalSeconds:0.0} s = {rate:0} B/s ({text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length} lines); " +
            $"refusal lines written {Lines(text, "Denied connection attempt from")}, counts {Summaries(text, "Denied connection attempt from")} (not logged: {NotLogged(text, "Denied connection attempt from")})");
        TestContext.Current.SendDiagnosticMessage(report);
        TestContext.Current.TestOutputHelper?.WriteLine(report);
        File.WriteAllText(Path.Combine(Path.GetTempPath(), "rookery-log-flood.txt"), report + "\n" + text);

        Assert.True(rate <= BytesPerSecondMax, $"{report}\n{Tail(text)}");
        Assert.True(NotLogged(text, "Denied connection attempt from") >= attempts / 2, $"the counts do not account for the refusals: {report}");
        cluster.AssertRunning();
        var after = await cluster.AgreeAsync(All, All, quorate: true, "after the flood");
        Assert.Equal(before[1].RingId, after[1].RingId);
    }

    /// <summary>Random datagrams to node 1's knet ports from an address in no nodelist and from node 2's own address; returns how many were sent.</summary>
    private static long FloodDatagrams(NetnsTestbed testbed)
    {
        var stranger = IPAddress.Parse("10.10.10.9");
        testbed.Exec(2, "ip", "addr", "add", $"{stranger}/24", "dev", testbed.NamespaceDevice(0));
        using var fromStranger = testbed.RunIn(2, () => Bound(stranger));
        using var fromPeer = testbed.RunIn(2, () => Bound(NetnsTestbed.Address(2, 0)));
        var target = new IPEndPoint(NetnsTestbed.Address(1, 0), 5405);
        var payload = new byte[1200];
        var sent = 0L;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Flood)
        {
            RandomNumberGenerator.Fill(payload);
            var length = 1 + (payload[0] * 4);
            payload[0] = 0x01; // knet v1, so a decoder gets past the first byte
            try
            {
                fromStranger.SendTo(payload.AsSpan(0, length), target);
                fromPeer.SendTo(payload.AsSpan(0, length), target);
                sent += 2;
            }
            catch (SocketException)
            {
                // ENOBUFS under load: the flood goes on.
            }

            if (sent % 512 == 0)
            {
                Thread.Sleep(1); // leave the daemon a share of the two cores
            }
        }

        return sent;
    }

    private static Socket Bound(IPAddress address)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        socket.Bind(new IPEndPoint(address, 0));
        return socket;
    }

    /// <summary>Connects again and again to the control socket, sends garbage frames and hangs up; returns how many frames were sent.</summary>
    private static async Task<long> FloodControlSocket(string path)
    {
        string[] garbage = ["{not json", "null", "[]", "{\"v\":1,\"id\":1,\"cmd\":\"no-such-command\"}", "{\"v\":99}", "\u0001\u0002\u0003"];
        var frames = 0L;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < Flood)
        {
            using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            try
            {
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(path));
                foreach (var frame in garbage)
                {
                    await socket.SendAsync(Encoding.UTF8.GetBytes(frame + "\n"));
                    frames++;
                }
            }
            catch (SocketException)
            {
                // Refused or closed by the daemon: next connection.
            }
        }

        return frames;
    }

    private static long Number(string output, string key) =>
        Regex.Match(output, $@"\b{key}=(\d+)") is { Success: true } match ? long.Parse(match.Groups[1].ValueSpan, CultureInfo.InvariantCulture) : 0;

    private static int Lines(string text, string words) =>
        text.Split('\n').Count(line => line.Contains(words, StringComparison.Ordinal) && !line.Contains("more lines like it", StringComparison.Ordinal));

    private static int Summaries(string text, string words) =>
        text.Split('\n').Count(line => line.Contains(words, StringComparison.Ordinal) && line.Contains("more lines like it", StringComparison.Ordinal));

    /// <summary>The sum of the "(and N more lines like it …)" counts of one kind.</summary>
    private static long NotLogged(string text, string words) =>
        text.Split('\n').Where(line => line.Contains(words, StringComparison.Ordinal))
            .Select(line => MoreLines().Match(line))
            .Where(match => match.Success)
            .Sum(match => long.Parse(match.Groups[1].ValueSpan, CultureInfo.InvariantCulture));

    private static string Tail(string text) => string.Join('\n', text.Split('\n').TakeLast(40));

    [GeneratedRegex(@"and (\d+) more lines like it")]
    private static partial Regex MoreLines();
}
