using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Text.RegularExpressions;

namespace Rookery.Integration.Tests.Procedure;

/// <summary>
/// Goal: <c>rookery demo</c>, run as a person would without a terminal, shows what it claims. As root: link 1 of tre cut
/// for real (nftables drops), the time each node took to log the link down, the failover with the membership
/// unchanged, the delivery gap and zero loss, the failback; then tre's daemon killed, uno and due carrying on
/// quorate, tre rejoining and delivering again. As an ordinary user: why it cannot cut a link, the admin's link
/// disable instead, and the same kill and rejoin. Either way: a clean stream, no daemon, file or nft table left.
/// Method: the real binary (<c>dotnet rookery.dll demo --hold 1</c>); the ordinary user is nobody via setpriv
/// when the tests run as root, else the tests' own user.
/// </summary>
public sealed partial class DemoCommandTests
{
    private static readonly TimeSpan DemoTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task AsRootTheDemoCutsALinkForRealThenKillsANodeAndItRejoins()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            Assert.Skip("the real link cut needs root (nftables); DemoAsAnOrdinaryUser covers this user");
        }

        if (!File.Exists("/usr/sbin/nft"))
        {
            Assert.Skip("the real link cut needs nft (apt-get install nftables; test.sh installs it)");
        }

        var result = await RookeryBinary.RunAsync(["demo", "--hold", "1"], timeout: DemoTimeout);
        var output = AssertLeavesNothingBehind(result);

        var table = NftTable().Match(output);
        Assert.True(table.Success, output);
        Assert.DoesNotContain(table.Groups[1].Value, Run("nft", "list", "tables"), StringComparison.Ordinal);
        Has(output, @"detected \(no pong within the link's down timeout, docs/links.md\): '\[KNET  \] link: host: 3 link: 1 is down' logged by uno \d+\.\d{3} s, by due \d+\.\d{3} s after the cut; tre logged 'host: 1 link: 1 is down' \d+\.\d{3} s, 'host: 2 link: 1 is down' \d+\.\d{3} s after the cut");
        Has(output, @"failover: traffic to and from tre goes over link 0, uno <-> due stays on link 1; members 1 2 3, ring id (\S+) unchanged");
        Has(output, @"delivery gap: longest pause between two deliveries since the cut: uno \d+ ms, due \d+ ms, tre \d+ ms");
        Has(output, @"loss: messages from uno every 10 ms: sent [1-9]\d*; delivered uno \d+ \(\d+ in flight\), due \d+ \(\d+ in flight\), tre \d+ \(\d+ in flight\); lost 0, duplicated 0, out of order 0");
        Has(output, @"failback: '\[KNET  \] rx: host: 3 link: 1 is up' logged by uno after \d\.\d{3} s, due after \d\.\d{3} s; every node sends on link 1 again; members 1 2 3, ring id \S+ unchanged");
        Has(output, @"membership unchanged while a link was down and back: 3 members");
        AssertKillAndRejoin(output);
    }

    [Fact]
    public async Task AsAnOrdinaryUserTheDemoSaysWhatItCannotDoAndDoesTheRest()
    {
        RookeryResult result;
        if (Environment.IsPrivilegedProcess)
        {
            if (!File.Exists("/usr/bin/setpriv"))
            {
                Assert.Skip("running the demo as nobody needs setpriv (apt-get install util-linux; test.sh installs it)");
            }

            result = await RunAsNobodyAsync(["demo", "--hold", "1"]);
        }
        else
        {
            result = await RookeryBinary.RunAsync(["demo", "--hold", "1"], timeout: DemoTimeout);
        }

        var output = AssertLeavesNothingBehind(result);
        Has(output, @"cannot cut link 1 for real: dropping packets needs root \(nftables rules need CAP_NET_ADMIN\) and this runs as uid [1-9]\d*; so no detection time, delivery gap or loss under a real failure is measured \(run the demo as root for that\)");
        Assert.DoesNotContain("$ nft", output, StringComparison.Ordinal);
        Has(output, @"failover: every node sends on link 0 \(seen [0-9.]+ s after starting 'rookery link disable 1', which took [0-9.]+ s to run\); members 1 2 3, ring id (\S+) unchanged");
        Has(output, @"failback: every node sends on link 1 \(seen [0-9.]+ s after starting 'rookery link enable 1', which took [0-9.]+ s to run\); members 1 2 3, ring id (\S+) unchanged");
        AssertKillAndRejoin(output);
    }

    private static void AssertKillAndRejoin(string output)
    {
        Has(output, @"\$ kill -KILL \d+    \(tre's daemon: no goodbye, as a crash or a power cut\)");
        Has(output, @"uno and due carry on: ring id \S+, members 1 2, quorate \(2 of 3 votes, need 2\); seen \d+\.\d{3} s after the kill");
        Has(output, @"uno's log since the kill: .*'A new membership \(\.\.\.\) was formed' after \d+\.\d{3} s");
        Has(output, @"while tre is down the stream goes on: [1-9]\d* sent since the kill; longest pause between two deliveries since the kill: uno \d+ ms, due \d+ ms");
        Has(output, @"loss: messages from uno every 10 ms: sent \d+; delivered uno \d+ \(\d+ in flight\), due \d+ \(\d+ in flight\), tre down; lost 0, duplicated 0, out of order 0");
        Has(output, @"tre rejoined: ring id \S+, members 1 2 3, quorate; \d+\.\d{3} s after its restart");
        Has(output, @"tre joined 'rookery-demo' again and delivers from message #[1-9]\d* on, in order");
        Has(output, @"sender stopped, every message delivered that could be: messages from uno every 10 ms: sent (\d+); delivered uno \1 \(0 in flight\), due \1 \(0 in flight\), tre [1-9]\d* since #\d+ \(0 in flight\); lost 0, duplicated 0, out of order 0");
        Has(output, @"demo finished: 3 of 3 daemons stopped, \S+ removed");
        Assert.DoesNotContain("FAILED", output, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b[", output, StringComparison.Ordinal);
    }

    /// <summary>Some line of the demo's output matches <paramref name="pattern"/>; on failure the whole output is shown.</summary>
    private static void Has(string output, [StringSyntax(StringSyntaxAttribute.Regex)] string pattern) =>
        Assert.True(Regex.IsMatch(output, pattern), $"no match for {pattern} in the demo's output:\n{output}");

    /// <summary>Exit 0, and no temporary directory or process of this demo left; returns stdout and stderr together.</summary>
    private static string AssertLeavesNothingBehind(RookeryResult result)
    {
        var output = result.Output + result.Error;
        var root = TempRoot().Match(output);
        Assert.True(root.Success, $"the demo does not say where its files are:\n{result}");
        var directory = root.Groups[1].Value;
        var leftovers = ProcessesMentioning(directory);
        Assert.True(!Directory.Exists(directory), $"{directory} was left behind\n{result}");
        Assert.True(leftovers.Count == 0, $"processes left running: {string.Join(", ", leftovers)}\n{result}");
        Assert.True(result.ExitCode == 0, result.ToString());
        return output;
    }

    /// <summary>Runs <c>rookery ARGS</c> as nobody (setpriv); its home does not exist, so /tmp stands in.</summary>
    private static async Task<RookeryResult> RunAsNobodyAsync(IReadOnlyList<string> arguments)
    {
        var start = new ProcessStartInfo("setpriv") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true };
        foreach (var argument in new[] { "--reuid=65534", "--regid=65534", "--clear-groups", "--", "dotnet", RookeryBinary.Dll }.Concat(arguments))
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["HOME"] = "/tmp";
        start.Environment["DOTNET_CLI_HOME"] = "/tmp";
        start.Environment["TMPDIR"] = "/tmp";
        var commandLine = "setpriv --reuid=65534 rookery " + string.Join(' ', arguments);
        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var deadline = new CancellationTokenSource(DemoTimeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            return new RookeryResult(commandLine, -1, await output, await error + "\n(killed after the timeout)");
        }

        return new RookeryResult(commandLine, process.ExitCode, await output, await error);
    }

    private static string Run(string tool, params string[] arguments)
    {
        var start = new ProcessStartInfo(tool) { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return output;
    }

    /// <summary>Ids of live processes whose command line mentions <paramref name="text"/>.</summary>
    private static List<int> ProcessesMentioning(string text)
    {
        var found = new List<int>();
        foreach (var directory in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid) || pid == Environment.ProcessId)
            {
                continue;
            }

            try
            {
                if (File.ReadAllText(Path.Combine(directory, "cmdline")).Contains(text, StringComparison.Ordinal))
                {
                    found.Add(pid);
                }
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // The process ended while we looked.
            }
        }

        return found;
    }

    [GeneratedRegex(@"under (/\S*rookery-demo-[A-Za-z0-9]+)")]
    private static partial Regex TempRoot();

    [GeneratedRegex(@"\$ nft add table inet (rookery_demo_\d+);")]
    private static partial Regex NftTable();
}
