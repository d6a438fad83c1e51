using System.CommandLine;

namespace Rookery.Cli.Commands;

/// <summary><c>rookery demo</c>: a 3-node cluster with two links on loopback and a link failover.</summary>
public static class DemoCommand
{
    public static Command Build(CliContext context)
    {
        var demo = new Command("demo", "Run a 3-node cluster with two links on loopback and show a link failover.");
        context.SetAction(demo, _ =>
        {
            context.Output.WriteLine("rookery demo: not built yet. It will start three nodes on loopback addresses with two links each,");
            context.Output.WriteLine("show the live link and membership view, disable the active link and show the failover and failback.");
            return ExitCodes.Ok;
        });
        return demo;
    }
}
