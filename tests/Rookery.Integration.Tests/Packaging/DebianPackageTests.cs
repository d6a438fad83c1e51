using Rookery.Cli;
using Rookery.Cli.Documentation;
using Rookery.Integration.Tests.Testbed;

namespace Rookery.Integration.Tests.Packaging;

/// <summary>
/// Goal: the Debian package that packaging/build-deb.sh makes installs what an admin needs (the native program, the
/// unit, man pages for every command, completion, logrotate, an example configuration and no key), with working
/// maintainer scripts, an upgrade keeps the admin's conffile edits, and dpkg --purge leaves nothing behind.
/// Method: build-deb.sh (the native build is reused while no source changed; test.sh builds it once before the tests),
/// then dpkg -i and dpkg --purge into a throw-away root (dpkg --root, scripts run with DPKG_ROOT), so the shared test
/// machine is not touched; man, the completion and systemd-analyze verify run in a private mount namespace where the
/// package's /usr lies over the host's (overlayfs). Root only; skipped with the reason otherwise.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class DebianPackageTests : IDisposable
{
    /// <summary>The first native build of a clean clone: a few minutes on a busy two-core machine.</summary>
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(15);

    private static readonly TimeSpan DpkgTimeout = TimeSpan.FromMinutes(2);

    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("rookery-deb-root-");

    private string Root => _root.FullName;

    public void Dispose() => _root.Delete(recursive: true);

    [Fact]
    public void The_package_installs_the_program_unit_pages_and_completion_and_purge_leaves_nothing()
    {
        SkipUnlessRoot();
        var deb = Build();
        var fields = HostCommand.Check("dpkg-deb", ["--field", deb, "Package", "Architecture", "Depends"]).StandardOutput;
        Assert.Contains("Package: rookery", fields, StringComparison.Ordinal);
        Assert.Contains("libc6", fields, StringComparison.Ordinal);
        Assert.Contains("libssl3", fields, StringComparison.Ordinal);

        // Install into the throw-away root: an empty dpkg database; the host's libc and systemd stand in for the dependencies.
        foreach (var directory in new[] { "info", "updates", "triggers" })
        {
            Directory.CreateDirectory(Path.Combine(Root, "var/lib/dpkg", directory));
        }

        File.WriteAllText(Path.Combine(Root, "var/lib/dpkg/status"), string.Empty);
        File.WriteAllText(Path.Combine(Root, "var/lib/dpkg/available"), string.Empty);
        Dpkg("-i", deb);

        Assert.Equal(ExpectedFiles(), InstalledPaths().Where(p => !Directory.Exists(Path.Combine(Root, p))).Order(StringComparer.Ordinal));
        Assert.Equal("755", Mode("usr/sbin/rookery"));
        Assert.Equal("700", Mode("var/lib/rookery"));
        Assert.True(Directory.Exists(Path.Combine(Root, "var/log/rookery")));
        Assert.Equal(
            "/etc/logrotate.d/rookery\n/etc/rookery/corosync.conf.example\n",
            File.ReadAllText(Path.Combine(Root, "var/lib/dpkg/info/rookery.conffiles")));
        Assert.Contains("/usr/sbin/rookery log reopen", File.ReadAllText(Path.Combine(Root, "etc/logrotate.d/rookery")), StringComparison.Ordinal);

        // The native program runs, and the shipped example is a valid configuration (for other machines: warnings only).
        var program = Path.Combine(Root, "usr/sbin/rookery");
        Assert.True(HostCommand.Run(program, ["--version"]).Succeeded);
        var example = HostCommand.Run(program, ["config", "check", Path.Combine(Root, "etc/rookery/corosync.conf.example")]);
        Assert.True(example.Succeeded, example.StandardError);
        Assert.Contains("valid (3 nodes, 2 links", example.StandardOutput, StringComparison.Ordinal);

        // With the package's /usr over the host's: the unit passes systemd-analyze verify, man finds and renders the
        // pages, and bash completes "rookery st" to status from the installed completion file.
        var verify = InPackageUsr("systemd-analyze verify /usr/lib/systemd/system/rookery.service");
        Assert.True(verify.Succeeded && verify.StandardError.Trim().Length == 0, $"exit {verify.ExitCode}\n{verify.StandardError}");
        var man = InPackageUsr("MANWIDTH=80 LC_ALL=C man rookery && LC_ALL=C man 5 rookery-corosync.conf && LC_ALL=C man rookery-status");
        Assert.True(man.Succeeded, man.StandardError);
        Assert.Contains("ROOKERY(8)", man.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("rookery-status(8)", man.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("knet_link_priority", man.StandardOutput, StringComparison.Ordinal);
        Assert.Contains("ROOKERY-STATUS(8)", man.StandardOutput, StringComparison.Ordinal);
        var completion = InPackageUsr(
            "bash --norc --noprofile -c '. /usr/share/bash-completion/completions/rookery; COMP_WORDS=(rookery st); COMP_CWORD=1; _rookery; echo \"${COMPREPLY[*]}\"'");
        Assert.True(completion.Succeeded, completion.StandardError);
        Assert.Equal("status", completion.StandardOutput.Trim());

        // An upgrade (the same package again: prerm upgrade, postinst configure VERSION) keeps the admin's edit of a conffile.
        var exampleFile = Path.Combine(Root, "etc/rookery/corosync.conf.example");
        File.AppendAllText(exampleFile, "# edited by the admin\n");
        Dpkg("-i", deb);
        Assert.EndsWith("# edited by the admin\n", File.ReadAllText(exampleFile), StringComparison.Ordinal);

        // Purge: no file and no directory of the package remains (deb-systemd-helper's own directories may).
        Dpkg("--purge", "rookery");
        var left = InstalledPaths().Where(p => !Directory.Exists(Path.Combine(Root, p)) || p.Contains("rookery", StringComparison.Ordinal)).ToList();
        Assert.True(left.Count == 0, "left after dpkg --purge:\n" + string.Join('\n', left));
        Assert.DoesNotContain("rookery", File.ReadAllText(Path.Combine(Root, "var/lib/dpkg/status")), StringComparison.Ordinal);
    }

    /// <summary>Every file the package must install: the fixed ones and one page per visible command of the tree.</summary>
    private static IEnumerable<string> ExpectedFiles()
    {
        var tree = Program.BuildRoot(new CliContext { Output = TextWriter.Null, Error = TextWriter.Null });
        var pages = CommandTree.Subcommands(tree).Select(c => $"usr/share/man/man8/rookery-{c.Name}.8.gz");
        string[] fixedFiles =
        [
            "etc/logrotate.d/rookery",
            "etc/rookery/corosync.conf.example",
            "etc/systemd/system/multi-user.target.wants/rookery.service",
            "usr/lib/systemd/system/rookery.service",
            "usr/sbin/rookery",
            "usr/share/bash-completion/completions/rookery",
            "usr/share/zsh/vendor-completions/_rookery",
            "usr/share/doc/rookery/changelog.gz",
            "usr/share/doc/rookery/copyright",
            "usr/share/man/man5/rookery-corosync.conf.5.gz",
            "usr/share/man/man5/rookery.conf.5.gz",
            "usr/share/man/man8/rookery.8.gz",
            "var/lib/systemd/deb-systemd-helper-enabled/multi-user.target.wants/rookery.service",
            "var/lib/systemd/deb-systemd-helper-enabled/rookery.service.dsh-also",
        ];
        return fixedFiles.Concat(pages).Order(StringComparer.Ordinal);
    }

    /// <summary>Every path under the throw-away root but dpkg's own database, relative, files and directories.</summary>
    private List<string> InstalledPaths() =>
        [.. Directory.EnumerateFileSystemEntries(Root, "*", SearchOption.AllDirectories)
            .Select(p => Path.GetRelativePath(Root, p))
            .Where(p => !p.StartsWith("var/lib/dpkg", StringComparison.Ordinal))];

    private string Mode(string path) => Convert.ToString((int)File.GetUnixFileMode(Path.Combine(Root, path)) & 0x1FF, 8);

    private void Dpkg(params string[] arguments)
    {
        var result = HostCommand.Run("dpkg", ["--root", Root, "--force-script-chrootless", "--force-depends", .. arguments], timeout: DpkgTimeout);
        Assert.True(result.Succeeded, $"{result.CommandLine}: exit {result.ExitCode}\n{result.StandardOutput}\n{result.StandardError}");
    }

    /// <summary>Runs a shell command in a private mount namespace where the package's /usr is laid over the host's.</summary>
    private CommandResult InPackageUsr(string command) =>
        HostCommand.Run("unshare", ["--mount", "--propagation", "private", "sh", "-c",
            $"mount -t overlay overlay -o lowerdir={Root}/usr:/usr /usr && {command}"], timeout: DpkgTimeout);

    /// <summary>packaging/build-deb.sh; returns the package's path (its last line of output).</summary>
    private static string Build()
    {
        var script = Path.Combine(RepositoryRoot(), "packaging", "build-deb.sh");
        var result = HostCommand.Run(script, [], timeout: BuildTimeout);
        Assert.True(result.Succeeded, $"build-deb.sh exited {result.ExitCode}\n{result.StandardError}");
        var deb = result.StandardOutput.Trim().Split('\n')[^1];
        Assert.True(File.Exists(deb) && deb.EndsWith(".deb", StringComparison.Ordinal), $"build-deb.sh printed '{deb}', not a package");
        return deb;
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Rookery.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException($"no Rookery.slnx above {AppContext.BaseDirectory}");
    }

    private static void SkipUnlessRoot()
    {
        if (!OperatingSystem.IsLinux() || !Environment.IsPrivilegedProcess)
        {
            Assert.Skip("the package install test needs root (dpkg --root with maintainer scripts, an overlay mount in a private namespace); run ./test.sh as root");
        }

        foreach (var tool in new[] { "dpkg-deb", "man", "systemd-analyze", "unshare" })
        {
            if (HostCommand.Run("sh", ["-c", $"command -v {tool}"]).ExitCode != 0)
            {
                Assert.Skip($"{tool} is not installed (test.sh installs it: dpkg-dev, man-db, systemd, util-linux)");
            }
        }
    }
}
