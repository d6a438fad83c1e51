using System.CommandLine;

namespace Rookery.Cli;

/// <summary>The <c>rookery</c> command: admin commands, the daemon and the demo.</summary>
public static class Program
{
    public static int Main(string[] args)
    {
        var root = new RootCommand("Rookery: a cluster engine with redundant links, Totem membership and votequorum.");
        var demo = new Command("demo", "Run a 3-node cluster with two links on loopback and show a link failover.");
        demo.SetAction(_ =>
        {
            Console.WriteLine("rookery demo: not built yet. It will start three nodes on loopback addresses with two links each,");
            Console.WriteLine("show the live link and membership view, disable the active link and show the failover and failback.");
            return 0;
        });
        root.Subcommands.Add(demo);
        return root.Parse(args).Invoke();
    }
}
