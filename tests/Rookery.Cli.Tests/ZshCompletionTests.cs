using System.Diagnostics;
using Rookery.Cli.Documentation;

namespace Rookery.Cli.Tests;

/// <summary>
/// Goal: the zsh completion generated from the command tree offers the same words as the bash one at each place, and
/// file names (zsh's _files) after path options. Method: <c>rookery completion zsh</c> in-process, sourced by a real
/// zsh with compadd and _files replaced by functions that print what they are given, then the function run on each
/// partial command line; skipped when zsh is not installed.
/// </summary>
public sealed class ZshCompletionTests : IDisposable
{
    private readonly CliHarness _cli = new();

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void The_function_offers_status_after_rookery_and_every_command_word_of_the_tree_at_its_place()
    {
        if (!File.Exists("/usr/bin/zsh") && !File.Exists("/bin/zsh"))
        {
            Assert.Skip("zsh is not installed (apt-get install zsh; ./test.sh as root installs it)");
        }

        var root = Program.BuildRoot(new CliContext { Output = TextWriter.Null, Error = TextWriter.Null });
        var cases = new List<(string[] Words, string Expected)>
        {
            (["rookery", "st"], "status"),
            (["rookery", "link", "e"], "enable"),
            (["rookery", "status", "--j"], "--json"),
            (["rookery", "status", "--config", "x"], "_files"),
            (["rookery", "daemon", "--state-dir", "x"], "_files -/"),
        };
        cases.AddRange(CommandTree.Walk(root).Select(c => (new[] { "rookery" }.Concat(c.Path.SkipLast(1)).Append(c.Path[^1][..1]).ToArray(), c.Path[^1])));
        var (exit, script, error) = _cli.Run("completion", "zsh");
        Assert.True(exit == 0, error);
        var scriptPath = Path.Combine(_cli.Root, "_rookery");
        File.WriteAllText(scriptPath, script);
        var driver = $"source '{scriptPath}'\ncompadd() {{ [[ $1 == -- ]] && shift; print -r -- \"$*\"; }}\n_files() {{ print -r -- \"_files $*\" | sed 's/ $//'; }}\n" +
            string.Concat(cases.Select(c => $"words=({string.Join(' ', c.Words.Select(w => $"'{w}'"))}); CURRENT={c.Words.Length}; _rookery\n"));

        var start = new ProcessStartInfo("zsh", ["-f", "-c", driver]) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var zsh = Process.Start(start)!;
        var output = zsh.StandardOutput.ReadToEnd();
        var errors = zsh.StandardError.ReadToEnd();
        zsh.WaitForExit();

        Assert.True(zsh.ExitCode == 0 && errors.Length == 0, $"zsh exit {zsh.ExitCode}\n{errors}");
        var lines = output.Split('\n').SkipLast(1).ToList();
        Assert.Equal(cases.Count, lines.Count);
        for (var i = 0; i < cases.Count; i++)
        {
            var offered = cases[i].Expected.StartsWith("_files", StringComparison.Ordinal) ? [lines[i]] : lines[i].Split(' ');
            Assert.True(offered.Contains(cases[i].Expected), $"'{string.Join(' ', cases[i].Words)}' offered '{lines[i]}', expected '{cases[i].Expected}'");
        }

        Assert.Equal(["status"], lines[0].Split(' ').Where(w => w.StartsWith("st", StringComparison.Ordinal)));
        Assert.DoesNotContain("man", lines[0].Split(' '));
    }
}
