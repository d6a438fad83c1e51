namespace Rookery.Config.Tests;

internal static class Fixture
{
    public static string Path(string name) => System.IO.Path.Combine(AppContext.BaseDirectory, "Fixtures", name);

    public static string Text(string name) => File.ReadAllText(Path(name));

    /// <summary>The three-node, two-link example of the seed document (pve docs §5.8).</summary>
    public static string Seed => Text("seed-redundancy.conf");

    public static string Describe(IEnumerable<Diagnostic> diagnostics) => string.Join("\n", diagnostics);
}
