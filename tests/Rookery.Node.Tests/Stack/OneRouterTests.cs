using System.Reflection;
using Rookery.Links;
using Rookery.Node.Shell;
using Rookery.Services;
using Rookery.Simulation.Harness;
using Rookery.Simulation.Nodes;
using Rookery.Totem;

namespace Rookery.Node.Tests.Stack;

/// <summary>
/// Goal: one composition, one router (issue 9). The daemon's shell and the deterministic simulator drive the same
/// <see cref="NodeStack"/>, and neither moves outputs between the layers itself, so what the simulator checks is what
/// ships.
/// Method: the simulator's node for a real seed is built and its stack is the type (from the same assembly) the daemon
/// builds; then the IL of every method of the daemon (Rookery.Node) and of the simulator (Rookery.Simulation) is read.
/// A type that calls the routing entry points of Totem or of the services (receive, submit, tick, reachability, Totem
/// events), or of more than one layer, moves outputs between layers: a second router, and the test fails with where it
/// is. Driving the link layer alone (the simulator's link mesh for the link layer's own tests) is not routing.
/// </summary>
public sealed class OneRouterTests
{
    /// <summary>The entry points only the composition's router may call: the moves between layers.</summary>
    private static readonly (Type Type, string[] Methods)[] RoutingEntryPoints =
    [
        (typeof(LinkLayer), ["Receive", "Send", "Broadcast", "Tick", "ReportTransportError", "ReportMessageTooBig", "RemovePeer", "RemoveLink", "SetLinkPriority", "SetLinkEnabled"]),
        (typeof(TotemSrp), ["Receive", "Submit", "Tick", "Start", "Leave", "TransAck", "OnPeerUnreachable", "OnPeerReachable", "OnLinkSwitched", "SetNodelist"]),
        (typeof(ServiceLayer), ["OnTotemEvent", "Start", "Tick"]),
    ];

    [Fact]
    public void The_simulated_node_is_the_composition_the_daemon_runs()
    {
        var plan = SeedRunner.Plan(1, "swarm");
        var node = NodeStacks.For(plan)(new NodeEnvironment(new NodeId(1), 0, [.. plan.Nodes], plan.LinkCount, new Prng(1), [], Instant.Zero));

        var composed = Assert.IsType<ComposedNode>(node);
        Assert.Same(typeof(NodeStack), composed.Stack.GetType());
        Assert.Same(typeof(LinkShell).Assembly.GetReferencedAssemblies().Select(Assembly.Load).Single(a => a.GetName().Name == "Rookery.Services"), composed.Stack.GetType().Assembly);
        Assert.True(composed.Stack.Services.Quorum is not null, "simulated nodes run votequorum");
    }

    [Fact]
    public void The_scan_finds_the_one_router_where_it_is()
    {
        Assert.Equal(
            ["Receive", "Submit", "TransAck", "OnPeerUnreachable"],
            new[] { "Receive", "Submit", "TransAck", "OnPeerUnreachable" }.Where(name => typeof(NodeStack)
                .GetMethods(BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.Instance | BindingFlags.DeclaredOnly)
                .SelectMany(Callees)
                .Any(callee => callee.DeclaringType == typeof(TotemSrp) && callee.Name == name)));
    }

    [Theory]
    [InlineData("Rookery.Node")]
    [InlineData("Rookery.Simulation")]
    public void No_second_router_outside_the_composition(string assemblyName)
    {
        var assembly = Assembly.Load(assemblyName);
        var banned = RoutingEntryPoints
            .SelectMany(entry => entry.Type.GetMethods(BindingFlags.Public | BindingFlags.Instance).Where(m => entry.Methods.Contains(m.Name)))
            .ToHashSet();
        var calls = new List<string>();
        foreach (var type in assembly.GetTypes())
        {
            var typeCalls = new List<MethodBase>();
            foreach (var method in type.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly)
                .Cast<MethodBase>()
                .Concat(type.GetConstructors(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static)))
            {
                foreach (var callee in Callees(method))
                {
                    if (banned.Contains(callee))
                    {
                        typeCalls.Add(callee);
                    }
                }
            }

            var layers = typeCalls.Select(c => c.DeclaringType!).Distinct().ToArray();
            if (layers.Length > 1 || layers.Any(layer => layer != typeof(LinkLayer)))
            {
                calls.Add($"{type.FullName} calls {string.Join(", ", typeCalls.Select(c => $"{c.DeclaringType!.Name}.{c.Name}").Distinct())}");
            }
        }

        Assert.True(calls.Count == 0, $"{assemblyName} routes between layers itself:\n{string.Join("\n", calls)}");
        Assert.True(assembly.GetTypes().Length > 10, $"{assemblyName}: too few types read, the check would prove nothing");
    }

    /// <summary>The methods <paramref name="method"/> calls (call, callvirt, newobj operands), read from its IL.</summary>
    private static IEnumerable<MethodBase> Callees(MethodBase method)
    {
        var il = method.GetMethodBody()?.GetILAsByteArray();
        if (il is null)
        {
            yield break;
        }

        for (var i = 0; i + 4 < il.Length; i++)
        {
            // call 0x28, callvirt 0x6F, newobj 0x73: a 4-byte method token follows. A byte of another operand that looks
            // like one of these gives a token that does not resolve to a method (skipped), not a false call.
            if (il[i] is not (0x28 or 0x6F or 0x73))
            {
                continue;
            }

            MethodBase? callee;
            try
            {
                callee = method.Module.ResolveMethod(BitConverter.ToInt32(il, i + 1), method.DeclaringType?.GetGenericArguments(), method.IsGenericMethod ? method.GetGenericArguments() : null);
            }
            catch (Exception exception) when (exception is ArgumentException or BadImageFormatException)
            {
                continue;
            }

            if (callee is not null)
            {
                yield return callee;
            }
        }
    }
}
