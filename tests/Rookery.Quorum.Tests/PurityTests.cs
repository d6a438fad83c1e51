using System.Reflection;

namespace Rookery.Quorum.Tests;

/// <summary>The sans-I/O rule, checked on the assemblies: no I/O, threads, clocks or mutable statics in the cores.</summary>
public sealed class PurityTests
{
    public static TheoryData<string> Cores => new() { "Rookery.Quorum", "Rookery.Groups", "Rookery.Wire" };

    [Theory]
    [MemberData(nameof(Cores))]
    public void CoreReferencesNoIoAndHoldsNoMutableStatics(string name)
    {
        var assembly = Assembly.Load(name);
        var banned = new[] { "System.Net.Sockets", "System.Net.Primitives", "System.Threading.Thread", "System.IO.FileSystem" };
        Assert.DoesNotContain(assembly.GetReferencedAssemblies(), r => banned.Contains(r.Name));
        var mutableStatics = assembly.GetTypes()
            .Where(t => !t.IsDefined(typeof(System.Runtime.CompilerServices.CompilerGeneratedAttribute)))
            .SelectMany(t => t.GetFields(BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.DeclaredOnly))
            .Where(f => !f.IsLiteral && !f.IsInitOnly && !f.Name.Contains('<', StringComparison.Ordinal))
            .Select(f => $"{f.DeclaringType}.{f.Name}")
            .ToArray();
        Assert.Empty(mutableStatics);
    }
}
