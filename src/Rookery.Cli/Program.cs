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
        root.Subcommands.Add(DemoCommand.Build(context));
        root.Subcommands.Add(KeygenCommand.Build(context));
        Command[] configured =
        [
            CreateCommand.Build(context),
            AddNodeCommand.Build(context),
            DelNodeCommand.Build(context),
            ConfigCommand.Build(context),
            DaemonCommand.Build(context),
            StatusCommand.Build(context),
            StatusCommand.BuildNodes(context),
            LinksCommand.Build(context),
            LinksCommand.BuildLink(context),
            ExpectedCommand.Build(context),
            ReloadCommand.Build(context),
            EventsCommand.Build(context),
            JoinCommand.BuildInfo(context),
            JoinCommand.BuildJoin(context),
            GroupCommand.Build(context),
            LogCommand.Build(context),
            WebCommand.Build(context),
        ];
        foreach (var command in configured)
        {
            // demo writes its own configuration, keygen takes its file as an argument, man and completion read none:
            // none of them gets options it would ignore.
            command.Options.Add(context.ConfigDirOption);
            command.Options.Add(context.ConfigOption);
            root.Subcommands.Add(command);
        }

        root.Subcommands.Add(ManCommand.Build(context));
        root.Subcommands.Add(CompletionCommand.Build(context));
        return root;
    }
}
