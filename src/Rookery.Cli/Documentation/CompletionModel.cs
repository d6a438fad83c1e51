using System.CommandLine;
using System.Text;

namespace Rookery.Cli.Documentation;

/// <summary>
/// What both shell completions offer, read from the command tree: the command paths (<c>" link enable"</c>), the words
/// after each (its subcommands, its options, then the global ones), and which options take a file, a directory or
/// another value.
/// </summary>
public static class CompletionModel
{
    /// <summary>Every visible command by its path key: a space before each word (<c>" config check"</c>).</summary>
    public static IEnumerable<KeyValuePair<string, Command>> Commands(RootCommand root) =>
        CommandTree.Walk(root).Select(c => KeyValuePair.Create(Key(c.Path), c.Command));

    /// <summary>The words offered after each path, the root's (key "") first.</summary>
    public static IEnumerable<(string Key, string Words)> Words(RootCommand root)
    {
        var global = CommandTree.GlobalOptions(root).ToList();
        yield return (string.Empty, WordsOf(root, []));
        foreach (var (key, command) in Commands(root))
        {
            yield return (key, WordsOf(command, global));
        }
    }

    public static IReadOnlyList<string> DirectoryOptions(RootCommand root) => Names(AllOptions(root).Where(CommandTree.TakesDirectory));

    public static IReadOnlyList<string> FileOptions(RootCommand root) => Names(AllOptions(root).Where(o => CommandTree.TakesPath(o) && !CommandTree.TakesDirectory(o)));

    /// <summary>Options whose value is neither a file nor a directory: nothing is offered after them.</summary>
    public static IReadOnlyList<string> ValueOptions(RootCommand root) => Names(AllOptions(root).Where(o => CommandTree.TakesValue(o) && !CommandTree.TakesPath(o)));

    /// <summary>One branch of a shell <c>case</c> on the previous word: the options, then the action (left out when no option has it).</summary>
    public static void AppendCase(StringBuilder text, IReadOnlyList<string> options, string action)
    {
        if (options.Count > 0)
        {
            text.Append("        ").Append(string.Join("|", options)).Append(")\n");
            text.Append("            ").Append(action).Append(" ;;\n");
        }
    }

    private static string Key(IReadOnlyList<string> path) => " " + string.Join(' ', path);

    private static IEnumerable<Option> AllOptions(RootCommand root) =>
        CommandTree.Options(root).Concat(CommandTree.Walk(root).SelectMany(c => CommandTree.Options(c.Command)));

    private static string WordsOf(Command command, IReadOnlyList<Option> global) =>
        string.Join(' ', CommandTree.Subcommands(command).Select(c => c.Name).Concat(CommandTree.Options(command).Concat(global).SelectMany(LongNames).Distinct()));

    private static List<string> Names(IEnumerable<Option> options) => [.. options.SelectMany(LongNames).Distinct().Order(StringComparer.Ordinal)];

    private static IEnumerable<string> LongNames(Option option) => new[] { option.Name }.Concat(option.Aliases.Where(a => a.StartsWith("--", StringComparison.Ordinal)));
}
