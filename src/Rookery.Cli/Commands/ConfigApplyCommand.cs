using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Rookery.Config;

namespace Rookery.Cli.Commands;

/// <summary>
/// Edit corosync.conf once for the whole cluster (Proxmox "Edit corosync.conf"): <c>rookery config apply FILE</c>
/// checks FILE (as <c>config check</c> does), and the running node sends it to every member in one agreed step;
/// each member writes its local file atomically and applies it as <c>rookery reload</c> does, and the report says
/// per node what was applied or refused. <c>rookery config edit</c> opens $EDITOR on a copy of this node's file,
/// checks it, shows the diff, raises config_version when the edit did not, asks, and applies it the same way.
/// </summary>
public static class ConfigApplyCommand
{
    /// <summary>Lines around a change that the diff shows.</summary>
    private const int DiffContextLines = 2;

    /// <summary>Largest file (in lines) the diff compares line by line; beyond it the diff says only that the file changed.</summary>
    private const int DiffLinesMax = 4000;

    public static Command BuildApply(CliContext context)
    {
        var file = new Argument<string>("FILE") { Description = "The new corosync.conf for every member (config_version higher than the running one)" };
        var dryRun = new Option<bool>("--dry-run") { Description = "Check FILE against the running configuration of this node, send nothing" };
        var socket = NodeCommandSupport.SocketOption();
        var json = NodeCommandSupport.JsonOption();
        var command = new Command("apply", "Send a new corosync.conf to every member in one agreed step; each writes it and applies it as reload does.");
        command.Arguments.Add(file);
        command.Options.Add(dryRun);
        command.Options.Add(socket);
        command.Options.Add(json);
        context.SetAction(command, result =>
        {
            var path = result.GetRequiredValue(file);
            var text = ReadChecked(context, path);
            return Send(context, result, socket, text, result.GetValue(dryRun), result.GetValue(json));
        });
        return command;
    }

    public static Command BuildEdit(CliContext context)
    {
        var yes = new Option<bool>("--yes") { Description = "Apply without asking (after the diff)" };
        var socket = NodeCommandSupport.SocketOption();
        var json = NodeCommandSupport.JsonOption();
        var command = new Command("edit", "Edit the cluster's corosync.conf with $EDITOR, check it, show the diff, raise config_version, apply it on every member.");
        command.Options.Add(yes);
        command.Options.Add(socket);
        command.Options.Add(json);
        context.SetAction(command, result =>
        {
            var path = context.ConfigPath(result);
            if (!ConfigFile.TryReadText(path, out var original, out var readError))
            {
                throw new CliException(readError);
            }

            var copy = Path.Combine(Path.GetTempPath(), $"rookery-corosync.conf.{Environment.ProcessId}.edit");
            File.WriteAllText(copy, original);
            RunEditor(context, copy);
            var edited = File.ReadAllText(copy);
            if (edited == original)
            {
                File.Delete(copy);
                context.Output.WriteLine("no changes; nothing was sent");
                return ExitCodes.Ok;
            }

            var loaded = ConfigLoader.Load(edited, copy);
            if (loaded.HasErrors)
            {
                foreach (var error in loaded.Errors)
                {
                    context.Error.WriteLine(error.ToString());
                }

                throw new CliException($"the edited file is not valid; nothing was sent (your edit is kept in {copy})", ExitCodes.ConfigInvalid);
            }

            var before = ConfigLoader.Load(original, path);
            var runningVersion = before.Parsed ? before.Config.Totem.ConfigVersion : 0;
            if (loaded.Config.Totem.ConfigVersion <= runningVersion)
            {
                var editor = ConfigEditor.TryOpen(edited, copy, out _) ?? throw new CliException($"cannot raise config_version in {copy}");
                var raised = editor.BumpConfigVersion();
                while (raised <= runningVersion)
                {
                    raised = editor.BumpConfigVersion();
                }

                edited = editor.Text;
                context.Output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"config_version raised to {raised}"));
            }

            foreach (var line in Diff(original, edited))
            {
                context.Output.WriteLine(line);
            }

            if (!result.GetValue(yes))
            {
                context.Output.Write("Apply this corosync.conf on every member? [y/N] ");
                context.Output.Flush();
                var answer = context.Input.ReadLine();
                if (answer is null || !answer.Trim().StartsWith('y'))
                {
                    throw new CliException($"not applied (your edit is kept in {copy})");
                }
            }

            var code = Send(context, result, socket, edited, dryRun: false, result.GetValue(json));
            File.Delete(copy);
            return code;
        });
        return command;
    }

    /// <summary>Sends the file to the running node (which checks it again with its own local node) and prints the members' report.</summary>
    public static int Send(CliContext context, ParseResult result, Option<string> socket, string text, bool dryRun, bool json) =>
        SendTo(context, result.GetValue(socket) is { Length: > 0 } explicitPath ? explicitPath : context.GetEnvironment(Rookery.Control.ControlSocket.EnvironmentVariable), text, dryRun, json);

    /// <summary>As <see cref="Send"/>, to the node at <paramref name="socketPath"/>.</summary>
    public static int SendTo(CliContext context, string? socketPath, string text, bool dryRun, bool json) =>
        NodeCommandSupport.WithClientAt(context, socketPath, async (client, cancel) =>
        {
            var report = await client.ApplyConfigAsync(text, dryRun, cancel).ConfigureAwait(false);
            return ClusterReportOutput.Print(context, report, json, dryRun ? "would apply" : "applied", dryRun
                ? "this file cannot be applied at run time: fix what is refused first"
                : "the new corosync.conf was not applied everywhere");
        });

    /// <summary>Reads FILE and checks it as <c>config check</c> does (without the local node, which the daemon checks): errors exit 8.</summary>
    private static string ReadChecked(CliContext context, string path)
    {
        if (!ConfigFile.TryReadText(path, out var text, out var readError))
        {
            throw new CliException(readError);
        }

        var loaded = ConfigLoader.Load(text, path);
        if (loaded.HasErrors)
        {
            foreach (var error in loaded.Errors)
            {
                context.Error.WriteLine(error.ToString());
            }

            throw new CliException($"{path} is not valid; nothing was sent", ExitCodes.ConfigInvalid);
        }

        return text;
    }

    private static void RunEditor(CliContext context, string file)
    {
        var editor = context.GetEnvironment("VISUAL") is { Length: > 0 } visual ? visual
            : context.GetEnvironment("EDITOR") is { Length: > 0 } configured ? configured : "vi";
        var start = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"{editor} \"$1\"");
        start.ArgumentList.Add("rookery-edit");
        start.ArgumentList.Add(file);
        using var process = Process.Start(start) ?? throw new CliException($"cannot start the editor '{editor}' (set $EDITOR)");
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new CliException($"the editor '{editor}' exited with code {process.ExitCode}; nothing was sent (your edit is kept in {file})");
        }
    }

    /// <summary>A unified-style line diff (<c>-</c> removed, <c>+</c> added, two lines of context around each change).</summary>
    public static IReadOnlyList<string> Diff(string before, string after)
    {
        var a = before.Split('\n');
        var b = after.Split('\n');
        if (a.Length > DiffLinesMax || b.Length > DiffLinesMax)
        {
            return ["(the file is too long to show a diff; it changed)"];
        }

        // Longest common subsequence table, from the ends.
        var common = new int[a.Length + 1, b.Length + 1];
        for (var i = a.Length - 1; i >= 0; i--)
        {
            for (var j = b.Length - 1; j >= 0; j--)
            {
                common[i, j] = a[i] == b[j] ? common[i + 1, j + 1] + 1 : Math.Max(common[i + 1, j], common[i, j + 1]);
            }
        }

        var lines = new List<(char Mark, string Text)>();
        int x = 0, y = 0;
        while (x < a.Length || y < b.Length)
        {
            if (x < a.Length && y < b.Length && a[x] == b[y])
            {
                lines.Add((' ', a[x++]));
                y++;
            }
            else if (x < a.Length && (y == b.Length || common[x + 1, y] >= common[x, y + 1]))
            {
                lines.Add(('-', a[x++]));
            }
            else
            {
                lines.Add(('+', b[y++]));
            }
        }

        var shown = new List<string>();
        var last = -1;
        for (var k = 0; k < lines.Count; k++)
        {
            var near = Enumerable.Range(Math.Max(0, k - DiffContextLines), Math.Min(lines.Count, k + DiffContextLines + 1) - Math.Max(0, k - DiffContextLines))
                .Any(n => lines[n].Mark != ' ');
            if (!near)
            {
                continue;
            }

            if (last >= 0 && k > last + 1)
            {
                shown.Add("...");
            }

            shown.Add($"{lines[k].Mark}{lines[k].Text}");
            last = k;
        }

        return shown;
    }
}
