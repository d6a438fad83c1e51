using System.Diagnostics;
using Rookery.Config.Syntax;
using Rookery.Integration.Tests.Procedure;

namespace Rookery.Integration.Tests.Hostile;

/// <summary>
/// Goal: a corosync.conf nested 100,000 levels deep is refused by the real programs with a
/// <c>file:line</c> parse error and exit 8, quickly and in little memory (it used to overflow the
/// stack with exit 134, or grow past gigabytes).
/// Method: write the file, run <c>rookery config check</c> and <c>rookery daemon</c> as processes with
/// the .NET GC heap capped (DOTNET_GCHeapHardLimit: an allocation past it fails the process), and
/// check exit code, message and wall time.
/// </summary>
public sealed class DeepConfigProcessTests : IDisposable
{
    /// <summary>The managed heap a process may use here: 128 MiB (the fixed parser needs a few MiB).</summary>
    private const string HeapLimit = "0x8000000";

    private readonly string _directory = Directory.CreateTempSubdirectory("rookery-deep-").FullName;

    [Fact]
    public async Task ConfigCheckAndDaemonRefuseAHundredThousandLevelsWithExitEight()
    {
        var path = Path.Combine(_directory, "corosync.conf");
        File.WriteAllText(path, "nodelist {\n  node {\n" + string.Concat(Enumerable.Repeat("a {\n", 100_000)) + string.Concat(Enumerable.Repeat("}\n", 100_002)));
        var environment = new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = HeapLimit };
        var expected = $"parser error: {path}:{ConfigParser.NestingDepthMax + 1}: Sections nested more than {ConfigParser.NestingDepthMax} levels deep";

        var watch = Stopwatch.StartNew();
        var check = await RookeryBinary.RunAsync(["config", "check", path], environment, TimeSpan.FromSeconds(30));
        var checkTime = watch.Elapsed;
        Assert.Equal(8, check.ExitCode);
        Assert.Contains(expected, check.Error, StringComparison.Ordinal);

        watch.Restart();
        var daemon = await RookeryBinary.RunAsync(
            ["daemon", "--config", path, "--state-dir", Path.Combine(_directory, "state"), "--socket", Path.Combine(_directory, "s.sock"), "--node", "n1"],
            environment,
            TimeSpan.FromSeconds(30));
        var daemonTime = watch.Elapsed;
        Assert.True(daemon.ExitCode == 8, daemon.ToString());
        Assert.Contains(expected, daemon.Error + daemon.Output, StringComparison.Ordinal);

        // Process start-up of .NET dominates; the parse itself takes milliseconds.
        Assert.True(checkTime < TimeSpan.FromSeconds(15) && daemonTime < TimeSpan.FromSeconds(15), $"config check {checkTime}, daemon {daemonTime}");
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
