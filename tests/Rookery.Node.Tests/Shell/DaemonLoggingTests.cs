using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Rookery.Node.Logging;
using Rookery.Node.Shell;

namespace Rookery.Node.Tests.Shell;

/// <summary>
/// A real node (sockets on a loopback address) honours its <c>logging {}</c> section: debug, to_logfile/logfile,
/// timestamp, to_stderr and to_syslog, at start and again after a reload changes them.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed partial class DaemonLoggingTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rookery-daemonlog-").FullName;

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    [Fact]
    public async Task The_logging_section_chooses_destinations_and_detail_at_start_and_after_a_reload()
    {
        var address = $"127.{20 + (Environment.ProcessId % 80)}.8.1";
        var config = Path.Combine(_directory, "corosync.conf");
        var logfile = Path.Combine(_directory, "rookery.log");
        var syslogPath = Path.Combine(_directory, "dev-log");
        using var syslog = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        syslog.Bind(new UnixDomainSocketEndPoint(syslogPath));
        await File.WriteAllTextAsync(config, Config(1, $"debug: on\n to_stderr: no\n to_syslog: no\n to_logfile: yes\n logfile: {logfile}\n timestamp: on\n", address), Token);
        var stderr = new StringWriter();
        var options = new NodeOptions
        {
            ConfigPath = config,
            StateDirectory = Path.Combine(_directory, "state"),
            NodeName = "solo",
            CreateLogSinks = (settings, problems) => LogSetup.CreateSinks(settings, TextWriter.Synchronized(stderr), _ => null, problems, Path.Combine(_directory, "no-journal"), syslogPath),
        };
        using var log = new ClusterLog(new LoggingSettings(), []);
        var node = ClusterNode.Start(options, log);
        await using var _ = node;
        using var stop = new CancellationTokenSource();
        var running = node.RunAsync(stop.Token);
        await node.InService.WaitAsync(TimeSpan.FromSeconds(60), Token);

        // debug: on, to_logfile with timestamp: on (seconds), nothing on stderr or syslog.
        var fileLines = (await ReadSharedAsync(logfile)).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains(fileLines, l => l.Contains(" rookery notice  [MAIN  ] Completed service synchronization, ready to provide service.", StringComparison.Ordinal));
        Assert.Contains(fileLines, l => l.Contains(" rookery debug   [", StringComparison.Ordinal));
        Assert.All(fileLines, l => Assert.Matches(FileLine(), l));
        Assert.Equal(string.Empty, stderr.ToString());
        Assert.Equal(0, syslog.Available);

        // The reload: debug off, stderr without timestamps, syslog on, no more log file.
        await File.WriteAllTextAsync(config, Config(2, "to_stderr: yes\n to_syslog: yes\n syslog_facility: local2\n timestamp: off\n", address), Token);
        var report = await node.ReloadAsync(dryRun: false, Token);
        Assert.True(report.Ok, string.Join("\n", report.Refused.Concat(report.Errors)));
        Assert.Contains("logging: reconfigured", report.Applied);

        Assert.Contains("notice  [CFG   ] reload: logging: reconfigured\n", stderr.ToString().ReplaceLineEndings("\n"), StringComparison.Ordinal);
        Assert.DoesNotContain("debug   [", stderr.ToString(), StringComparison.Ordinal);
        var buffer = new byte[4096];
        syslog.ReceiveTimeout = 10_000;
        var datagrams = new List<string>();
        while (!datagrams.Any(d => d.Contains("reload: logging: reconfigured", StringComparison.Ordinal)))
        {
            datagrams.Add(Encoding.UTF8.GetString(buffer, 0, syslog.Receive(buffer)));
        }

        Assert.All(datagrams, d => Assert.Matches(@"^<\d+>[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} rookery\[\d+\]: \[[A-Z ]{6}\] ", d));
        Assert.StartsWith("<149>", datagrams[^1], StringComparison.Ordinal);
        Assert.DoesNotContain("reload: logging: reconfigured", await ReadSharedAsync(logfile), StringComparison.Ordinal);

        await stop.CancelAsync();
        Assert.Equal(0, await running.WaitAsync(TimeSpan.FromSeconds(60), Token));
    }

    private static string Config(int version, string logging, string address) =>
        $"totem {{\n version: 2\n cluster_name: logs\n config_version: {version}\n crypto_cipher: none\n crypto_hash: none\n}}\n" +
        $"logging {{\n {logging}}}\nquorum {{\n provider: corosync_votequorum\n}}\n" +
        $"nodelist {{\n node {{\n  name: solo\n  nodeid: 1\n  ring0_addr: {address}\n }}\n}}\n";

    private static async Task<string> ReadSharedAsync(string path)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync(Token);
    }

    /// <summary><c>Mar  8 11:27:45 [pid] host rookery priority [SUBSYS] …</c>: timestamp on is whole seconds.</summary>
    [GeneratedRegex(@"^[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \[\d+\] \S+ rookery (emerg  |alert  |crit   |error  |warning|notice |info   |debug  |trace  ) \[[A-Z ]{6}\] ")]
    private static partial Regex FileLine();
}
