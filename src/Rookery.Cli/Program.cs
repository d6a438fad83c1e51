using System.CommandLine;
using Rookery.Cli.Commands;

namespace Rookery.Cli;

/// <summary>The <c>rookery</c> command: admin commands, the daemon and the demo.</summary>
/// <remarks>Each command lives in its own file under Commands/ and is registered here with one line.</remarks>
public static class Program
{
    public static int Main(string[] args) => Run(args, CliContext.System());

    public static int Run(string[] args, CliContext context) => CommandLineRunner.Invoke(BuildRoot(context), args, context);

    /// <summary>The whole command tree: what --help prints, and what the man pages and the completion are generated from.</summary>
    public static RootCommand BuildRoot(CliContext context)
    {
        var root = new RootCommand("Rookery: a cluster engine with redundant links, Totem membership and votequorum.");
        root.Options.Add(context.ConfigDirOption);
        root.Options.Add(context.ConfigOption);
        root.Subcommands.Add(DemoCommand.Build(context));
        root.Subcommands.Add(CreateCommand.Build(context));
        root.Subcommands.Add(AddNodeCommand.Build(context));
        root.Subcommands.Add(DelNodeCommand.Build(context));
        root.Subcommands.Add(KeygenCommand.Build(context));
        root.Subcommands.Add(ConfigCommand.Build(context));
        root.Subcommands.Add(DaemonCommand.Build(context));
        root.Subcommands.Add(StatusCommand.Build(context));
        root.Subcommands.Add(StatusCommand.BuildNodes(context));
        root.Subcommands.Add(LinksCommand.Build(context));
        root.Subcommands.Add(LinksCommand.BuildLink(context));
        root.Subcommands.Add(ExpectedCommand.Build(context));
        root.Subcommands.Add(ReloadCommand.Build(context));
        root.Subcommands.Add(EventsCommand.Build(context));
        root.Subcommands.Add(JoinCommand.BuildInfo(context));
        root.Subcommands.Add(JoinCommand.BuildJoin(context));
        root.Subcommands.Add(GroupCommand.Build(context));
        root.Subcommands.Add(LogCommand.Build(context));
        root.Subcommands.Add(ManCommand.Build(context));
        root.Subcommands.Add(CompletionCommand.Build(context));
        return root;
    }
}
