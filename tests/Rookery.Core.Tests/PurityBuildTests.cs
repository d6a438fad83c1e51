using System.Diagnostics;
using System.Xml.Linq;

namespace Rookery.Core.Tests;

/// <summary>
/// Goal: the sans-I/O rule of the cores is enforced by the build, not hoped for (issue 9 point 5): every core project
/// is marked <c>RookeryPureCore</c>, and in such a project a socket, a clock read or a lock fails the build.
/// Method: read the project files of src/; then build a throwaway project that imports the repository's
/// Directory.Build.props/targets and package versions, marked pure, whose one file opens a socket, reads
/// <c>DateTime.Now</c> and takes a lock, and check that <c>dotnet build</c> fails with those three findings.
/// </summary>
public sealed class PurityBuildTests
{
    /// <summary>The cores of the architecture; Rookery.Services joins them when it exists.</summary>
    private static readonly string[] s_cores = ["Rookery.Core", "Rookery.Wire", "Rookery.Config", "Rookery.Links", "Rookery.Totem", "Rookery.Quorum", "Rookery.Groups", "Rookery.Services"];

    /// <summary>The shell: the projects that may do I/O. A new project under src/ must be one or the other.</summary>
    private static readonly string[] s_shell = ["Rookery.Node", "Rookery.Cli", "Rookery.Client", "Rookery.Control", "Rookery.Config.Files", "Rookery.Web", "Rookery.Ipc"];

    private static readonly TimeSpan s_buildTimeout = TimeSpan.FromMinutes(4);

    [Fact]
    public void Every_core_project_is_marked_pure_and_every_other_is_a_known_shell_project()
    {
        var projects = Directory.GetFiles(Path.Combine(RepositoryRoot(), "src"), "*.csproj", SearchOption.AllDirectories)
            .ToDictionary(p => Path.GetFileNameWithoutExtension(p), IsMarkedPure);

        Assert.All(s_cores.Where(projects.ContainsKey), core => Assert.True(projects[core], $"{core} does not set <RookeryPureCore>true</RookeryPureCore>"));
        Assert.All(projects.Where(p => !p.Value), p => Assert.Contains(p.Key, s_shell));
        Assert.Equal(7, s_cores.Count(projects.ContainsKey) - (projects.ContainsKey("Rookery.Services") ? 1 : 0));
    }

    [Fact]
    public async Task A_socket_a_clock_or_a_lock_in_a_pure_project_fails_the_build()
    {
        var root = RepositoryRoot();
        var directory = Directory.CreateTempSubdirectory("rookery-purity-");
        try
        {
            var path = directory.FullName;
            File.Copy(Path.Combine(root, "global.json"), Path.Combine(path, "global.json"));
            foreach (var name in new[] { "Directory.Build.props", "Directory.Build.targets", "Directory.Packages.props" })
            {
                await File.WriteAllTextAsync(Path.Combine(path, name), $"<Project><Import Project=\"{Path.Combine(root, name)}\" /></Project>\n", Token);
            }

            await File.WriteAllTextAsync(Path.Combine(path, "Probe.csproj"),
                "<Project Sdk=\"Microsoft.NET.Sdk\"><PropertyGroup><RookeryPureCore>true</RookeryPureCore></PropertyGroup></Project>\n", Token);
            await File.WriteAllTextAsync(Path.Combine(path, "Probe.cs"), """
                namespace Probe;

                public static class Impure
                {
                    public static object Open() => new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Dgram, System.Net.Sockets.ProtocolType.Udp);

                    public static System.DateTime Now() => System.DateTime.Now;
                }
                """, Token);
            await File.WriteAllTextAsync(Path.Combine(path, "Locked.cs"), """
                namespace Probe;

                public static class Locked
                {
                    public static void Run(object gate)
                    {
                        lock (gate)
                        {
                        }
                    }
                }
                """, Token);

            var (exitCode, output) = await RunAsync("dotnet", ["build", path, "-c", "Release", "-nologo", "-clp:ErrorsOnly", "-p:UseSharedCompilation=false"], path);

            Assert.True(exitCode != 0, $"the impure probe built:\n{output}");
            Assert.Contains("Probe.cs(5,", output, StringComparison.Ordinal);
            Assert.Contains("error RS0030: The symbol 'Socket' is banned", output, StringComparison.Ordinal);
            Assert.Contains("error RS0030: The symbol 'DateTime.Now' is banned", output, StringComparison.Ordinal);
            Assert.Contains("Locked.cs : error ROOK001", output, StringComparison.Ordinal);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static CancellationToken Token => TestContext.Current.CancellationToken;

    private static bool IsMarkedPure(string project) =>
        XDocument.Load(project).Descendants("RookeryPureCore").Any(e => e.Value.Trim() == "true");

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, string[] arguments, string workingDirectory)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The probe must not inherit the test host's MSBuild settings (it would build against the test's project).
        start.Environment.Remove("MSBuildExtensionsPath");
        start.Environment.Remove("MSBUILD_EXE_PATH");
        start.Environment.Remove("MSBuildSDKsPath");
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync(Token);
        var error = process.StandardError.ReadToEndAsync(Token);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(Token);
        deadline.CancelAfter(s_buildTimeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet build of the probe did not finish within {s_buildTimeout}");
        }

        return (process.ExitCode, await output + await error);
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Rookery.slnx")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"no Rookery.slnx above {AppContext.BaseDirectory}");
    }
}
