using System.CommandLine;
using Rookery.Cli.Documentation;

namespace Rookery.Cli.Commands;

/// <summary>
/// <c>rookery man --out DIR</c> (hidden): writes the manual pages generated from this command tree and the key catalog
/// (<see cref="ManPages"/>); packaging/build-deb.sh installs them. Prints each file written.
/// </summary>
public static class ManCommand
{
    public static Command Build(CliContext context)
    {
        var output = new Option<string>("--out") { Description = "Directory to write the pages to (created if missing)", HelpName = "DIR", Required = true };
        var release = new Option<string>("--release") { Description = "Version printed in the page footers (default: this program's version)", HelpName = "VERSION" };
        var command = new Command("man", "Write the manual pages (rookery.8, rookery-COMMAND.8, rookery.conf.5, ...) to a directory.") { Hidden = true };
        command.Options.Add(output);
        command.Options.Add(release);
        context.SetAction(command, result =>
        {
            var directory = result.GetRequiredValue(output);
            var pages = ManPages.Generate((RootCommand)result.RootCommandResult.Command, result.GetValue(release) is { Length: > 0 } text ? text : ProgramVersion());
            Directory.CreateDirectory(directory);
            foreach (var page in pages)
            {
                var path = Path.Combine(directory, page.FileName);
                File.WriteAllText(path, page.Text);
                context.Output.WriteLine(path);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>This build's version without the commit suffix (<c>1.0.0</c> of <c>1.0.0+5050b1a…</c>).</summary>
    public static string ProgramVersion() => Rookery.Node.Control.ControlServer.ProductVersion.Split('+')[0];
}
