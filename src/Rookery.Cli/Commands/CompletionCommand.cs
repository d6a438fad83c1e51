using System.CommandLine;
using Rookery.Cli.Documentation;

namespace Rookery.Cli.Commands;

/// <summary><c>rookery completion bash|zsh</c> (hidden): prints the completion script generated from this command tree.</summary>
public static class CompletionCommand
{
    public static Command Build(CliContext context)
    {
        var shell = new Argument<string>("SHELL") { Description = "The shell: bash or zsh" };
        shell.AcceptOnlyFromAmong("bash", "zsh");
        var command = new Command("completion",
            "Print the shell completion script (installed as /usr/share/bash-completion/completions/rookery and /usr/share/zsh/vendor-completions/_rookery).")
        {
            Hidden = true,
        };
        command.Arguments.Add(shell);
        context.SetAction(command, result =>
        {
            var root = (RootCommand)result.RootCommandResult.Command;
            context.Output.Write(result.GetRequiredValue(shell) == "zsh" ? ZshCompletion.Generate(root) : BashCompletion.Generate(root));
            return ExitCodes.Ok;
        });
        return command;
    }
}
