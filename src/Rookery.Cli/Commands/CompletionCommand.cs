using System.CommandLine;
using Rookery.Cli.Documentation;

namespace Rookery.Cli.Commands;

/// <summary><c>rookery completion bash</c> (hidden): prints the bash completion script generated from this command tree.</summary>
public static class CompletionCommand
{
    public static Command Build(CliContext context)
    {
        var shell = new Argument<string>("SHELL") { Description = "The shell: bash" };
        shell.AcceptOnlyFromAmong("bash");
        var command = new Command("completion", "Print the shell completion script (source it, or install it as /usr/share/bash-completion/completions/rookery).") { Hidden = true };
        command.Arguments.Add(shell);
        context.SetAction(command, result =>
        {
            context.Output.Write(BashCompletion.Generate((RootCommand)result.RootCommandResult.Command));
            return ExitCodes.Ok;
        });
        return command;
    }
}
