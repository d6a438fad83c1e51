using CsCheck;

namespace Rookery.Config.Tests;

/// <summary>No input makes the configuration layer throw: random bytes and mutated valid files give diagnostics only.</summary>
public sealed class FuzzTests
{
    private static readonly string[] Fragments = ["{", "}", ":", "\n", "\r\n", "#", " ", "\t", "\u00A0", "\0", "totem", "nodelist", "node", "interface", "ring0_addr", "nodeid", "linknumber", "quorum", "device", "logger_subsys", "subsys", "99999999999999999999", "-1", "0x1f", "version: 2"];

    [Fact]
    public void RandomTextNeverThrows()
    {
        Gen.String.Sample(text => Exercise(text), iter: 2000);
    }

    [Fact]
    public void FragmentSoupNeverThrows()
    {
        Gen.Int[0, Fragments.Length - 1].Array[0, 80].Sample(indexes => Exercise(string.Concat(indexes.Select(i => Fragments[i]))), iter: 2000);
    }

    [Fact]
    public void MutatedValidFilesNeverThrow()
    {
        var seed = Fixture.Seed;
        Gen.Select(Gen.Int[0, seed.Length - 1], Gen.Int[0, 20], Gen.Int[0, Fragments.Length - 1], Gen.Int[0, 2]).Sample((at, length, fragment, how) =>
        {
            var end = Math.Min(seed.Length, at + length);
            var mutated = how switch
            {
                0 => seed[..at] + seed[end..],
                1 => seed[..at] + Fragments[fragment] + seed[at..],
                _ => seed[..at] + Fragments[fragment] + seed[end..],
            };
            Exercise(mutated);
        }, iter: 3000);
    }

    private static void Exercise(string text)
    {
        var result = ConfigLoader.Load(text, "fuzz.conf", new ValidationOptions { CheckLocalNode = true, HostName = "uno" });
        _ = result.Config.Timers;
        _ = result.Config.Links;
        _ = result.Diagnostics.Select(d => d.ToString()).ToList();
        if (result.Parsed)
        {
            var editor = ConfigEditor.TryOpen(text, "fuzz.conf", out _);
            editor?.BumpConfigVersionSafely();
        }
    }
}

internal static class EditorFuzzExtensions
{
    /// <summary>Bumps the version unless it is at its maximum (a checked overflow is a programmer-visible error, not a crash).</summary>
    public static void BumpConfigVersionSafely(this ConfigEditor editor)
    {
        if (editor.Config.Totem.ConfigVersion < ulong.MaxValue)
        {
            editor.BumpConfigVersion();
        }
    }
}
