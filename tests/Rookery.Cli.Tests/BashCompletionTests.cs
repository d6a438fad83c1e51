using System.CommandLine;
using System.Diagnostics;
using Rookery.Cli.Documentation;

namespace Rookery.Cli.Tests;

/// <summary>
/// Goal: the bash completion generated from the command tree completes every command word at its place, the options
/// of the command typed so far, and file names after path options. Method: <c>rookery completion bash</c> in-process,
/// then one real bash that sources the script and runs its completion function on each partial command line.
/// </summary>
public sealed class BashCompletionTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void The_script_completes_rookery_st_to_status_and_every_command_word_of_the_tree()
    {
        var root = Program.BuildRoot(new CliContext { Output = TextWriter.Null, Error = TextWriter.Null });
        var cases = new List<(string[] Words, string Expected)>
        {
            (["rookery", "st"], "status"),
            (["rookery", "link", "e"], "enable"),
            (["rookery", "config", "check", "--n"], "--node"),
            (["rookery", "status", "--j"], "--json"),
            (["rookery", "status", "--config-d"], "--config-dir"),
            (["rookery", "log", "r"], "reopen"),
        };
        foreach (var (path, _) in CommandTree.Walk(root))
        {
            cases.Add(([.. new[] { "rookery" }.Concat(path.SkipLast(1)), path[^1][..1]], path[^1]));
        }

        Directory.CreateDirectory(Path.Combine(_cli.Root, "confdir"));
        File.WriteAllText(Path.Combine(_cli.Root, "confdir", "corosync.conf"), string.Empty);
        cases.Add((["rookery", "status", "--config", Path.Combine(_cli.Root, "confdir", "coro")], Path.Combine(_cli.Root, "confdir", "corosync.conf")));
        cases.Add((["rookery", "--config-dir", Path.Combine(_cli.Root, "confd")], Path.Combine(_cli.Root, "confdir")));

        var results = Complete(cases.Select(c => c.Words).ToList());

        for (var i = 0; i < cases.Count; i++)
        {
            Assert.True(results[i].Split(' ').Contains(cases[i].Expected), $"'{string.Join(' ', cases[i].Words)}' completed to '{results[i]}', expected '{cases[i].Expected}' among them");
        }

        Assert.DoesNotContain("man", results[0].Split(' '));
        Assert.Empty(Complete([["rookery", "addnode", "n", "--votes", ""]])[0]);
    }

    [Fact]
    public void Hidden_commands_are_not_offered()
    {
        var results = Complete([["rookery", ""]]);

        var offered = results[0].Split(' ');
        Assert.Contains("status", offered);
        Assert.Contains("daemon", offered);
        Assert.DoesNotContain("man", offered);
        Assert.DoesNotContain("completion", offered);
    }

    /// <summary>Runs the completion function once per command line (the last word is the one being completed); one line of candidates each.</summary>
    private List<string> Complete(IReadOnlyList<string[]> lines)
    {
        var (exit, script, error) = _cli.Run("completion", "bash");
        Assert.True(exit == 0, error);
        var scriptPath = Path.Combine(_cli.Root, "rookery.bash");
        File.WriteAllText(scriptPath, script);
        var driver = "source " + Quote(scriptPath) + "\n" + string.Concat(lines.Select(words =>
            $"COMP_WORDS=({string.Join(' ', words.Select(Quote))}); COMP_CWORD={words.Length - 1}; COMPREPLY=(); _rookery; echo \"${{COMPREPLY[*]}}\"\n"));
        var start = new ProcessStartInfo("bash", ["--norc", "--noprofile", "-c", driver]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var bash = Process.Start(start)!;
        var output = bash.StandardOutput.ReadToEnd();
        var errors = bash.StandardError.ReadToEnd();
        bash.WaitForExit();
        Assert.True(bash.ExitCode == 0 && errors.Length == 0, $"bash exit {bash.ExitCode}\n{errors}");
        var results = output.Split('\n').SkipLast(1).ToList();
        Assert.Equal(lines.Count, results.Count);
        return results;
    }

    private static string Quote(string word) => "'" + word.Replace("'", "'\\''", StringComparison.Ordinal) + "'";
}
