using System.Text.RegularExpressions;

namespace Rookery.Integration.Tests.Procedure;

/// <summary>
/// <c>rookery demo</c> run as a person would, without a terminal: it must report the failover to link 0 and the
/// failback to link 1 with the membership unchanged, a clean message stream, and leave no daemon or file behind.
/// Needs no root.
/// </summary>
public sealed partial class DemoCommandTests
{
    private static readonly TimeSpan DemoTimeout = TimeSpan.FromMinutes(3);

    [Fact]
    public async Task DemoShowsFailoverAndFailbackAndLeavesNothingBehind()
    {
        var result = await RookeryBinary.RunAsync(["demo", "--hold", "1"], timeout: DemoTimeout);
        var output = result.Output + result.Error;
        var root = TempRoot().Match(output);
        Assert.True(root.Success, $"the demo does not say where its files are:\n{result}");
        var directory = root.Groups[1].Value;
        var leftovers = ProcessesMentioning(directory);
        Assert.True(!Directory.Exists(directory), $"{directory} was left behind\n{result}");
        Assert.True(leftovers.Count == 0, $"processes left running: {string.Join(", ", leftovers)}\n{result}");
        Assert.True(result.ExitCode == 0, result.ToString());

        Assert.Matches(new Regex(@"failover: every node sends on link 0 \(seen [0-9.]+ s after starting 'rookery link disable 1', which took [0-9.]+ s to run\); members 1 2 3, ring id (\S+) unchanged"), output);
        Assert.Matches(new Regex(@"failback: every node sends on link 1 \(seen [0-9.]+ s after starting 'rookery link enable 1', which took [0-9.]+ s to run\); members 1 2 3, ring id (\S+) unchanged"), output);
        Assert.Matches(new Regex(@"membership unchanged through failover and failback: 3 members"), output);
        Assert.Matches(new Regex(@"sent [1-9]\d*; delivered at uno \d+, due \d+, tre \d+; lost 0, duplicated 0, gaps 0"), output);
        Assert.Matches(new Regex(@"demo finished: 3 of 3 daemons stopped, \S+ removed"), output);
        Assert.DoesNotContain("\u001b[", output, StringComparison.Ordinal);
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
}
