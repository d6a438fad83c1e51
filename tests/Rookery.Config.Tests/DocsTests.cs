namespace Rookery.Config.Tests;

public sealed class DocsTests
{
    [Fact]
    public void ConfigDocsAreGeneratedFromTheDefaultsInCode()
    {
        var path = Path.Combine(RepositoryRoot(), "docs", "config.md");
        var generated = ConfigDocs.Generate();
        if (Environment.GetEnvironmentVariable("ROOKERY_UPDATE_DOCS") == "1")
        {
            File.WriteAllText(path, generated);
        }

        Assert.True(File.Exists(path), $"{path} is missing; run ROOKERY_UPDATE_DOCS=1 dotnet test --project tests/Rookery.Config.Tests");
        Assert.True(
            File.ReadAllText(path) == generated,
            "docs/config.md is stale: run ROOKERY_UPDATE_DOCS=1 dotnet test --project tests/Rookery.Config.Tests -c Release");
    }

    [Fact]
    public void DocsNameEveryDefaultFromTheDefaultsClass()
    {
        var generated = ConfigDocs.Generate();

        Assert.Contains($"| `token` | 0..4294967295 | {Defaults.TokenMs} |", generated, StringComparison.Ordinal);
        Assert.Contains($"| `knet_pong_count` | 0..4294967295 | {Defaults.KnetPongCount} |", generated, StringComparison.Ordinal);
        Assert.Contains($"| `state_dir` | text | {Defaults.StateDir} |", generated, StringComparison.Ordinal);
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Rookery.slnx")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Rookery.slnx not found above " + AppContext.BaseDirectory);
    }
}
