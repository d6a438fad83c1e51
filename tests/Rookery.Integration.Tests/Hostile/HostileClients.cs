using System.Diagnostics;
using System.Globalization;
using Rookery.Integration.Tests.Mixed;
using Rookery.Integration.Tests.Testbed;

namespace Rookery.Integration.Tests.Hostile;

/// <summary>
/// The hostile libqb clients of <c>qbhostile.c</c> (compiled once per test process with gcc, -lqb -lcpg) run in a
/// node's namespace, and what the tests read about a daemon process (resident size, its log's length).
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public static class HostileClients
{
    private static readonly Lazy<string> Compiled = new(Compile);

    /// <summary>Null when the clients can be built here (gcc, libqb-dev, libcpg-dev), otherwise why not.</summary>
    public static string? UnavailableReason =>
        MixedCluster.UnavailableReason
        ?? (HostCommand.Exists("gcc") && File.Exists("/usr/include/qb/qbipcc.h") && File.Exists("/usr/include/corosync/cpg.h")
            ? null
            : "the hostile IPC clients need gcc, libqb-dev and libcpg-dev (apt-get install gcc libcpg-dev)");

    /// <summary>
    /// Starts <c>qbhostile ARGS</c> in the node's namespace, as root or (with <paramref name="uid"/>) as that user and
    /// group through setpriv; its output goes to a file the returned handle reads.
    /// </summary>
    public static HostileClient Start(NetnsTestbed testbed, int node, string outputDirectory, int? uid, params string[] arguments)
    {
        var output = Path.Combine(outputDirectory, $"qbhostile-{Guid.NewGuid():N}.out");
        File.WriteAllText(output, string.Empty);
        var process = uid is { } user
            ? testbed.Start(node, "setpriv", [$"--reuid={user}", $"--regid={user}", "--clear-groups", Compiled.Value, .. arguments], output)
            : testbed.Start(node, Compiled.Value, arguments, output);
        return new HostileClient(process, output, string.Join(' ', arguments));
    }

    /// <summary>Skips the test unless the clients can run here; then starts <c>rookery daemon</c> on the three nodes of a new <see cref="MixedCluster"/>.</summary>
    public static async Task<MixedCluster> StartRookeryClusterAsync()
    {
        if (UnavailableReason is { } reason)
        {
            Assert.Skip(reason);
        }

        var cluster = MixedCluster.Create();
        try
        {
            foreach (var node in new[] { 1, 2, 3 })
            {
                cluster.StartRookery(node);
            }

            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>VmRSS of a process in bytes, from /proc; 0 once it is gone.</summary>
    public static long ResidentBytes(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>Bytes in a file so far (0 when it does not exist).</summary>
    public static long Length(string path) => File.Exists(path) ? new FileInfo(path).Length : 0;

    /// <summary>The text of a file from byte <paramref name="from"/> on (a log another process is writing).</summary>
    public static string ReadFrom(string path, long from)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        stream.Seek(Math.Min(from, stream.Length), SeekOrigin.Begin);
        return new StreamReader(stream).ReadToEnd();
    }

    private static string Compile()
    {
        // World-readable and executable: the refused-user flood runs it as uid 65534.
        var directory = Path.Combine(Path.GetTempPath(), $"rookery-qbhostile-{Environment.ProcessId}");
        Directory.CreateDirectory(directory);
        File.SetUnixFileMode(directory, (UnixFileMode)0b111_101_101);
        var binary = Path.Combine(directory, "qbhostile");
        var compiled = HostCommand.Run("gcc", ["-O2", "-Wall", "-o", binary, Path.Combine(AppContext.BaseDirectory, "Hostile", "qbhostile.c"), "-lqb", "-lcpg"], timeout: TimeSpan.FromSeconds(60));
        if (!compiled.Succeeded)
        {
            throw new InvalidOperationException($"gcc qbhostile.c failed: {compiled.StandardError}");
        }

        return binary;
    }
}

/// <summary>One running qbhostile; disposing kills it (SIGKILL) if it still runs.</summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class HostileClient(Process process, string outputPath, string description) : IDisposable
{
    public int Pid => process.Id;

    public string Description => description;

    public bool HasExited => process.HasExited;

    public string Output
    {
        get
        {
            try
            {
                return HostileClients.ReadFrom(outputPath, 0);
            }
            catch (IOException)
            {
                return string.Empty;
            }
        }
    }

    /// <summary>Waits until the client printed a line containing <paramref name="text"/> (or fails with what it printed).</summary>
    public async Task WaitForAsync(string text, TimeSpan timeout)
    {
        Assert.True(await Eventually.TrueAsync(() => Output.Contains(text, StringComparison.Ordinal) || process.HasExited, timeout, TimeSpan.FromMilliseconds(50))
            && Output.Contains(text, StringComparison.Ordinal), $"qbhostile {description} did not print '{text}'; it printed:\n{Output}");
    }

    /// <summary>Waits for the client to end by itself and returns what it printed.</summary>
    public async Task<string> ExitAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        await process.WaitForExitAsync(deadline.Token);
        return Output;
    }

    /// <summary>SIGKILL, as a client that dies in the middle of whatever it was doing.</summary>
    public void Kill()
    {
        if (!process.HasExited)
        {
            process.Kill();
            process.WaitForExit();
        }
    }

    public void Dispose()
    {
        Kill();
        process.Dispose();
    }
}
