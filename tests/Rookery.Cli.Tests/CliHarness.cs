using System.Net;

namespace Rookery.Cli.Tests;

/// <summary>Runs the real command line in-process against a temporary configuration directory.</summary>
internal sealed class CliHarness : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("rookery-cli-");

    public CliHarness()
    {
        ConfigDir = Path.Combine(_root.FullName, "etc");
    }

    public string Root => _root.FullName;

    public string ConfigDir { get; }

    public string ConfigFile => Path.Combine(ConfigDir, "corosync.conf");

    public string KeyFile => Path.Combine(ConfigDir, "authkey");

    public List<IPAddress> LocalAddresses { get; } = [];

    public Dictionary<string, IPAddress[]> Hosts { get; } = [];

    public Dictionary<string, string> Environment { get; } = [];

    public (int Exit, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var context = new CliContext
        {
            Output = output,
            Error = error,
            GetEnvironment = name => Environment.GetValueOrDefault(name),
            HostName = () => "testhost",
            LocalAddresses = () => LocalAddresses,
            Resolve = host => Hosts.GetValueOrDefault(host) ?? [],
        };
        var exit = Program.Run(args, context);
        return (exit, output.ToString(), error.ToString());
    }

    /// <summary>Runs with <c>--config-dir</c> pointing at this harness.</summary>
    public (int Exit, string Output, string Error) RunIn(params string[] args) => Run([.. args, "--config-dir", ConfigDir]);

    /// <summary>The seed's example: a cluster of pve1 with two links (pvecm.md §2.2).</summary>
    public void CreateSeedCluster()
    {
        var (exit, _, error) = RunIn("create", "CLUSTERNAME", "--link0", "10.10.10.1,priority=15", "--link1", "10.20.20.1,priority=20", "--node", "pve1");
        Assert.True(exit == 0, error);
    }

    /// <summary>Bytes and write time of every file under the root, to prove a failed command changed nothing.</summary>
    public string Snapshot() =>
        string.Join("\n", Directory.EnumerateFileSystemEntries(Root, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
            .Select(p => File.Exists(p) ? $"{p} {Convert.ToHexString(File.ReadAllBytes(p))} {File.GetLastWriteTimeUtc(p).Ticks}" : $"{p}/"));

    public void Dispose() => _root.Delete(recursive: true);
}
