using System.CommandLine;
using System.Text.RegularExpressions;

namespace Rookery.Cli;

/// <summary>Parses and runs the command line; a usage error gives one message per problem on stderr and exit 2.</summary>
public static partial class CommandLineRunner
{
    public static int Invoke(RootCommand root, string[] args, CliContext context)
    {
        var result = root.Parse(args);
        if (result.Errors.Count > 0)
        {
            // An unknown --linkN swallows no value, so its ADDR shows up as a second unknown token: one message is enough.
            var valuesOfUnknownLinks = args.Where((arg, i) => i > 0 && !args[i - 1].Contains('=', StringComparison.Ordinal) && LinkOption().IsMatch($"'{args[i - 1]}'") && UnknownToken(result, args[i - 1]))
                .Select(arg => $"Unrecognized command or argument '{arg}'.").ToHashSet(StringComparer.Ordinal);
            foreach (var error in result.Errors.Where(e => !valuesOfUnknownLinks.Contains(e.Message)))
            {
                context.Fail(Explain(error.Message));
            }

            context.Error.WriteLine("Try 'rookery --help' for more information.");
            return ExitCodes.Usage;
        }

        return result.Invoke(new InvocationConfiguration { Output = context.Output, Error = context.Error, EnableDefaultExceptionHandler = false });
    }

    private static bool UnknownToken(ParseResult result, string token) =>
        result.Errors.Any(e => e.Message == $"Unrecognized command or argument '{token}'.");

    /// <summary>Adds the rule to System.CommandLine's message where one is known (link numbers are 0..7).</summary>
    private static string Explain(string message)
    {
        var link = LinkOption().Match(message);
        if (link.Success)
        {
            return $"{message} Link numbers are 0..{Limits.LinksMax - 1} (--link0 … --link{Limits.LinksMax - 1}).";
        }

        var typed = TypedValue().Match(message);
        return typed.Success ? $"{typed.Groups["option"].Value}: type check ('integer') failed - got '{typed.Groups["value"].Value}'" : message;
    }

    [GeneratedRegex(@"'--link\d+(=[^']*)?'")]
    private static partial Regex LinkOption();

    /// <summary>System.CommandLine's "Cannot parse argument 'x' for option '--nodeid' as expected type 'System.Int64'" (integers are the only typed options).</summary>
    [GeneratedRegex(@"^Cannot parse argument '(?<value>.*)' for option '(?<option>[^']+)' as expected type '[^']*Int\d+[^']*'\.$")]
    private static partial Regex TypedValue();
}
