using System.Globalization;
using Rookery.Cli.Formatting;
using Rookery.Control;

namespace Rookery.Cli.Commands;

/// <summary>
/// Prints the per-member report of <c>rookery reload</c> and <c>rookery config apply</c>: one block per node of the
/// nodelist (applied, unchanged, refused with the key and reason, unreachable with why), then the warnings about
/// members' files that differ. Exit 0 unless a member refused (unreachable members are reported, not failed).
/// </summary>
public static class ClusterReportOutput
{
    public static int Print(CliContext context, ReloadReport report, bool json, string verb, string failure)
    {
        if (json)
        {
            context.Output.WriteLine(JsonOutput.Reload(report));
            return report.Ok ? ExitCodes.Ok : ExitCodes.Error;
        }

        if (report.Members is not { } members)
        {
            PrintLines(context, report.Applied, report.Refused, report.Errors, verb, "");
        }
        else
        {
            foreach (var member in members)
            {
                var who = string.Create(CultureInfo.InvariantCulture, $"node {member.Nodeid} ({member.Name}{(member.Local ? ", local" : "")})");
                var version = member.ConfigVersion is { } v ? string.Create(CultureInfo.InvariantCulture, $", config_version {v}") : "";
                context.Output.WriteLine(member.Reason is { } reason
                    ? $"{who}: {member.Outcome}{version}: {reason}"
                    : $"{who}: {member.Outcome}{version}");
                PrintLines(context, member.Applied, member.Refused, member.Errors, verb, "  ");
            }
        }

        foreach (var warning in report.Warnings ?? [])
        {
            context.Output.WriteLine($"warning: {warning}");
        }

        if (!report.Ok)
        {
            var refusing = (report.Members ?? []).Where(m => m.Outcome == MemberOutcomes.Refused).Select(m => m.Nodeid.ToString(CultureInfo.InvariantCulture)).ToList();
            context.Fail(refusing.Count > 0 && report.Members!.Any(m => m.Outcome != MemberOutcomes.Refused)
                ? $"{failure} (refused on node {string.Join(", ", refusing)})"
                : failure);
            return ExitCodes.Error;
        }

        var changed = report.Members?.Any(m => m.Outcome == MemberOutcomes.Applied) ?? report.Applied.Count > 0;
        context.Output.WriteLine(changed ? "Done" : "Done (no changes)");
        return ExitCodes.Ok;
    }

    private static void PrintLines(CliContext context, IReadOnlyList<string> applied, IReadOnlyList<string> refused, IReadOnlyList<string> errors, string verb, string indent)
    {
        foreach (var line in errors)
        {
            context.Output.WriteLine($"{indent}error: {line}");
        }

        foreach (var line in applied)
        {
            context.Output.WriteLine($"{indent}{verb}: {line}");
        }

        foreach (var line in refused)
        {
            context.Output.WriteLine($"{indent}refused: {line}");
        }
    }
}
