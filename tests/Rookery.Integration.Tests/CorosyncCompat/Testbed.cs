using System.Diagnostics;
using System.Net;
using Rookery.Cli;

namespace Rookery.Integration.Tests.CorosyncCompat;

/// <summary>
/// Runs Debian's corosync 3.1.7 (<c>corosync -t</c>) inside a network namespace that holds one
/// node's link addresses, so corosync finds its local node exactly as on that node, with the
/// configuration directory bind-mounted over /etc/corosync (inside the namespace's own mount
/// namespace, so the host's /etc/corosync is never touched) so it reads our authkey.
/// </summary>
internal static class Testbed
{
    public const string Corosync = "/usr/sbin/corosync";

    private static int s_counter;

    /// <summary>Why these tests cannot run here, or null when they can.</summary>
    public static string? SkipReason()
    {
        if (!OperatingSystem.IsLinux())
        {
            return "corosync compatibility tests need Linux";
        }

        if (!Environment.IsPrivilegedProcess)
        {
            return "corosync compatibility tests need root (network namespaces); run ./test.sh as root";
        }

        if (!File.Exists(Corosync))
        {
            return $"corosync compatibility tests need Debian's corosync ({Corosync} is missing; ./test.sh as root installs it)";
        }

        return Run("ip", ["netns", "list"]).Exit == 0 ? null : "corosync compatibility tests need iproute2 with network namespaces";
    }

    /// <summary>Runs <c>corosync -t -c FILE</c> as the node that owns <paramref name="addresses"/>.</summary>
    public static (int Exit, string Output) CorosyncCheck(string configDir, string file, params string[] addresses)
    {
        var name = $"rkcc{Environment.ProcessId}x{Interlocked.Increment(ref s_counter)}";
        Must(Run("ip", ["netns", "add", name]));
        try
        {
            Must(Run("ip", ["-n", name, "link", "set", "lo", "up"]));
            Must(Run("ip", ["-n", name, "link", "add", "v0", "type", "veth", "peer", "name", "v1"]));
            for (var i = 0; i < addresses.Length; i++)
            {
                var device = i % 2 == 0 ? "v0" : "v1";
                var prefix = addresses[i].Contains(':') ? "/64" : "/24";
                Must(Run("ip", ["-n", name, "addr", "add", addresses[i] + prefix, "dev", device, "nodad"]));
            }

            Must(Run("ip", ["-n", name, "link", "set", "v0", "up"]));
            Must(Run("ip", ["-n", name, "link", "set", "v1", "up"]));
            var script = "mount --bind \"$1\" /etc/corosync && exec " + Corosync + " -t -c \"$2\"";
            var result = Run("ip", ["netns", "exec", name, "sh", "-c", script, "sh", configDir, file]);
            return (result.Exit, result.Output);
        }
        finally
        {
            Run("ip", ["netns", "del", name]);
        }
    }

    /// <summary>Runs the rookery command line in-process as the node that owns <paramref name="addresses"/>.</summary>
    public static (int Exit, string Output, string Error) Rookery(IReadOnlyList<string> addresses, params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var context = new CliContext
        {
            Output = output,
            Error = error,
            GetEnvironment = _ => null,
            HostName = () => "compat-test-host",
            LocalAddresses = () => [.. addresses.Select(IPAddress.Parse)],
            Resolve = _ => [],
        };
        var exit = Program.Run(args, context);
        return (exit, output.ToString(), error.ToString());
    }

    public static (int Exit, string Output) Run(string file, IReadOnlyList<string> args)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(20)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish in 20 s");
        }

        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    private static void Must((int Exit, string Output) result)
    {
        if (result.Exit != 0)
        {
            throw new InvalidOperationException($"testbed command failed ({result.Exit}): {result.Output}");
        }
    }
}
