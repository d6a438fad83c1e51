using Rookery.Integration.Tests.Loopback;
using Rookery.Integration.Tests.Procedure;
using Rookery.Integration.Tests.Testbed;

namespace Rookery.Integration.Tests.Hostile;

/// <summary>
/// Goal: a keyfile that names /dev/zero or a FIFO stops the real daemon with a clear message and exit 8
/// (it used to abort with "Out of memory" or hang), and a world-readable key starts it with a loud warning.
/// Method: loopback cluster configurations whose totem.keyfile is changed, <c>rookery daemon</c> and
/// <c>rookery config check</c> run as processes.
/// </summary>
public sealed class KeyFileProcessTests
{
    [Fact]
    public async Task ADeviceOrFifoAsKeyfileStopsTheDaemonWithExitEight()
    {
        await using var cluster = new LoopbackCluster();
        var fifo = Path.Combine(cluster.Directory, "fifo");
        HostCommand.Check("mkfifo", [fifo]);
        foreach (var (keyfile, what) in new[] { ("/dev/zero", "not a regular file (a character device)"), (fifo, "not a regular file (a FIFO)") })
        {
            File.WriteAllText(cluster.ConfigPath(1), File.ReadAllText(cluster.ConfigPath(1)).Replace($"keyfile: {cluster.KeyPath}", $"keyfile: {keyfile}", StringComparison.Ordinal));
            var daemon = await RookeryBinary.RunAsync(
                ["daemon", "--config", cluster.ConfigPath(1), "--state-dir", Path.Combine(cluster.NodeDirectory(1), "state"), "--socket", cluster.SocketPath(1), "--node", "n1"],
                new Dictionary<string, string> { ["DOTNET_GCHeapHardLimit"] = "0x8000000" },
                TimeSpan.FromSeconds(30));
            Assert.True(daemon.ExitCode == 8, daemon.ToString());
            Assert.Contains($"Could not open {keyfile}: {what}", daemon.Error + daemon.Output, StringComparison.Ordinal);
            cluster.WriteConfig(1, configVersion: 1, withLink1: false);
        }
    }

    [Fact]
    public async Task AWorldReadableKeyIsUsedWithALoudWarning()
    {
        await using var cluster = new LoopbackCluster();
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(cluster.KeyPath, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }


        var check = await RookeryBinary.RunAsync(["config", "check", cluster.ConfigPath(1), "--node", "n1"]);
        Assert.Contains($"warning: WARNING: authkey {cluster.KeyPath} is readable by group or others (mode 0644)", check.Error, StringComparison.Ordinal);

        cluster.Start(1);
        Assert.True(
            await Eventually.TrueAsync(() => cluster.Log(1).Contains($"WARNING: authkey {cluster.KeyPath} is readable by group or others", StringComparison.Ordinal), TimeSpan.FromSeconds(30)),
            cluster.Log(1));
        Assert.True(cluster.IsRunning(1), cluster.Log(1));
    }
}
