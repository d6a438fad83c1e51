using System.CommandLine;
using System.Diagnostics;
using Rookery.Cli.Documentation;
using Rookery.Config;

namespace Rookery.Cli.Tests;

/// <summary>
/// Goal: the manual pages say what --help says and what the key catalog holds, for every command and key, and render
/// without a warning. Method: <c>rookery man --out DIR</c> in-process, then each page checked against the command tree
/// built by <see cref="Program.BuildRoot"/> and against <see cref="KeyCatalog"/>, and rendered by groff with warnings on.
/// </summary>
public sealed class ManPageTests : IDisposable
{
    private readonly CliHarness _cli = new();

    private readonly RootCommand _root;

    public ManPageTests() => _root = Program.BuildRoot(new CliContext { Output = TextWriter.Null, Error = TextWriter.Null });

    private string OutDir => Path.Combine(_cli.Root, "man");

    public void Dispose() => _cli.Dispose();

    [Fact]
    public void There_is_a_page_for_rookery_each_visible_command_and_the_two_configuration_pages()
    {
        var (exit, output, error) = _cli.Run("man", "--out", OutDir, "--release", "9.8.7");

        Assert.True(exit == 0, error);
        var expected = new[] { "rookery.8" }
            .Concat(CommandTree.Subcommands(_root).Select(c => $"rookery-{c.Name}.8"))
            .Concat(["rookery.conf.5", "rookery-corosync.conf.5"])
            .Order(StringComparer.Ordinal);
        Assert.Equal(expected, Directory.EnumerateFiles(OutDir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(expected.Select(f => Path.Combine(OutDir, f!)).Order(StringComparer.Ordinal), output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
        Assert.DoesNotContain(_root.Subcommands, c => c.Hidden && File.Exists(Path.Combine(OutDir, $"rookery-{c.Name}.8")));
        Assert.Contains(_root.Subcommands, c => c.Name == "status" && !c.Hidden);
        Assert.All(Directory.EnumerateFiles(OutDir), f => Assert.Contains("\"rookery 9.8.7\"", File.ReadAllText(f), StringComparison.Ordinal));
    }

    [Fact]
    public void Every_command_path_option_and_argument_of_the_tree_is_on_its_page_with_its_help_text()
    {
        Assert.Equal(0, _cli.Run("man", "--out", OutDir).Exit);
        var overview = Read("rookery.8");
        var checkedOptions = 0;

        foreach (var (path, command) in CommandTree.Walk(_root))
        {
            var page = Read($"rookery-{path[0]}.8");
            Assert.Contains(Roff.Escape("rookery " + string.Join(' ', path)), page, StringComparison.Ordinal);
            Assert.Contains(Roff.Escape(command.Description!), page, StringComparison.Ordinal);
            foreach (var option in CommandTree.Options(command))
            {
                Assert.Contains($"\\fB{Roff.Escape(option.Name)}\\fR", page, StringComparison.Ordinal);
                Assert.Contains(Roff.Escape(option.Description!), page, StringComparison.Ordinal);
                checkedOptions++;
            }

            foreach (var argument in command.Arguments)
            {
                Assert.Contains($"\\fI{Roff.Escape(argument.Name)}\\fR", page, StringComparison.Ordinal);
                Assert.Contains(Roff.Escape(argument.Description!), page, StringComparison.Ordinal);
            }

            if (path.Count == 1)
            {
                Assert.Contains($".BR {Roff.Escape($"rookery-{path[0]}")} (8)", overview, StringComparison.Ordinal);
            }
        }

        foreach (var option in CommandTree.GlobalOptions(_root))
        {
            Assert.Contains($"\\fB{Roff.Escape(option.Name)}\\fR", overview, StringComparison.Ordinal);
        }

        Assert.True(checkedOptions > 20, $"only {checkedOptions} options found in the tree");
    }

    [Fact]
    public void The_corosync_conf_page_lists_every_key_of_the_catalog_with_its_default()
    {
        Assert.Equal(0, _cli.Run("man", "--out", OutDir).Exit);
        var page = Read("rookery-corosync.conf.5");

        foreach (var section in KeyCatalog.All.GroupBy(s => s.Section))
        {
            Assert.Contains($".SH \"{Roff.Escape(section.Key.ToUpperInvariant())} SECTION\"", page, StringComparison.Ordinal);
        }

        Assert.All(KeyCatalog.All, spec =>
        {
            Assert.Contains($"\\fB{Roff.Escape(spec.Key)}\\fR", page, StringComparison.Ordinal);
            Assert.Contains(Roff.Escape($"Default: {spec.Default}."), page, StringComparison.Ordinal);
        });
        Assert.Contains(Roff.Escape(ConfigDocs.DerivedTimers[0]), page, StringComparison.Ordinal);
        Assert.Contains(Roff.Escape("The key file defaults to authkey in the configuration directory"), Read("rookery.conf.5"), StringComparison.Ordinal);
    }

    [Fact]
    public void Every_page_renders_without_a_warning()
    {
        Assert.Equal(0, _cli.Run("man", "--out", OutDir).Exit);
        if (!File.Exists("/usr/bin/groff"))
        {
            Assert.Skip("groff is not installed (apt-get install groff-base); the pages were generated but not rendered");
        }

        foreach (var file in Directory.EnumerateFiles(OutDir))
        {
            var start = new ProcessStartInfo("groff", ["-man", "-Tutf8", "-ww", "-z", file]) { RedirectStandardError = true, RedirectStandardOutput = true };
            using var groff = Process.Start(start)!;
            var warnings = groff.StandardError.ReadToEnd();
            groff.WaitForExit();
            Assert.True(groff.ExitCode == 0 && warnings.Length == 0, $"{file}: exit {groff.ExitCode}\n{warnings}");
        }
    }

    private string Read(string name) => File.ReadAllText(Path.Combine(OutDir, name));
}
