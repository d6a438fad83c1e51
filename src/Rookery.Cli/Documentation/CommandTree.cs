using System.CommandLine;

namespace Rookery.Cli.Documentation;

/// <summary>
/// The visible part of the command tree that <c>--help</c> prints, as the man pages and the shell completion read
/// it: hidden commands and options (such as <c>man</c> and <c>completion</c>) are left out, so all three agree.
/// </summary>
public static class CommandTree
{
    /// <summary>The subcommands an admin sees, in the order <c>--help</c> lists them.</summary>
    public static IEnumerable<Command> Subcommands(Command command) => command.Subcommands.Where(c => !c.Hidden);

    /// <summary>The options of <paramref name="command"/> itself (not those inherited from the root), visible ones only.</summary>
    public static IEnumerable<Option> Options(Command command) => command.Options.Where(o => !o.Hidden);

    /// <summary>The options every command accepts: the root's recursive ones (<c>--config-dir</c>, <c>--config</c>, <c>--help</c>).</summary>
    public static IEnumerable<Option> GlobalOptions(Command root) => Options(root).Where(o => o.Recursive);

    /// <summary>Every visible command below <paramref name="root"/> with the words that reach it (<c>["link", "enable"]</c>), parents first.</summary>
    public static IEnumerable<(IReadOnlyList<string> Path, Command Command)> Walk(Command root)
    {
        var pending = new Stack<(IReadOnlyList<string>, Command)>();
        foreach (var command in Subcommands(root).Reverse())
        {
            pending.Push(([command.Name], command));
        }

        while (pending.TryPop(out var item))
        {
            yield return item;
            foreach (var child in Subcommands(item.Item2).Reverse())
            {
                pending.Push(([.. item.Item1, child.Name], child));
            }
        }
    }

    /// <summary>Whether an option takes a value (<c>--socket PATH</c>) rather than being a switch (<c>--json</c>).</summary>
    public static bool TakesValue(Option option) => option.Arity.MaximumNumberOfValues > 0 && option.ValueType != typeof(bool);

    /// <summary>The placeholder of an option's value: its help name, else DIR or PATH for paths, else its name in capitals (<c>--votes</c> → <c>VOTES</c>).</summary>
    public static string ValueName(Option option) =>
        option.HelpName
        ?? (option.Name.EndsWith("-dir", StringComparison.Ordinal) ? "DIR"
        : PathOptionNames.Contains(option.Name) ? "PATH"
        : option.Name.TrimStart('-').ToUpperInvariant());

    /// <summary>Whether an option's value is a file or directory (completed with file names).</summary>
    public static bool TakesPath(Option option) =>
        TakesValue(option) && (ValueName(option) is "FILE" or "DIR" or "PATH" || PathOptionNames.Contains(option.Name));

    /// <summary>Whether an option's value is a directory.</summary>
    public static bool TakesDirectory(Option option) => TakesValue(option) && ValueName(option) == "DIR";

    /// <summary>How an argument is written in a synopsis: <c>NAME</c>, <c>[FILE]</c>, <c>NAME...</c>.</summary>
    public static string ArgumentSynopsis(Argument argument)
    {
        var many = argument.Arity.MaximumNumberOfValues > 1 ? "..." : string.Empty;
        return argument.Arity.MinimumNumberOfValues == 0 ? $"[{argument.Name}{many}]" : argument.Name + many;
    }

    /// <summary>Options whose value is a path though their help name does not say so.</summary>
    private static readonly HashSet<string> PathOptionNames = new(StringComparer.Ordinal) { "--config", "--config-dir", "--socket", "--state-dir", "--out" };
}
