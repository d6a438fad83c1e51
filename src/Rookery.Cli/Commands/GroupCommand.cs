using System.CommandLine;
using System.Globalization;
using System.Text;
using Rookery.Cli.Formatting;
using Rookery.Control;

namespace Rookery.Cli.Commands;

/// <summary>
/// <c>rookery group watch NAME</c> and <c>rookery group send NAME</c>, like corosync's testcpg: watch prints every
/// delivery and membership change of a group as one JSON line; send sends numbered messages, so order and loss can
/// be checked by anyone.
/// </summary>
public static class GroupCommand
{
    public static Command Build(CliContext context)
    {
        var group = new Command("group", "Process groups (CPG): watch a group, send to it.");
        group.Subcommands.Add(BuildWatch(context));
        group.Subcommands.Add(BuildSend(context));
        return group;
    }

    private static Argument<string> GroupName()
    {
        var name = new Argument<string>("NAME") { Description = $"Group name (1..{ControlProtocol.GroupNameLengthMax} bytes)" };
        name.Validators.Add(r =>
        {
            var value = r.GetValueOrDefault<string>() ?? string.Empty;
            if (value.Length == 0 || Encoding.UTF8.GetByteCount(value) > ControlProtocol.GroupNameLengthMax)
            {
                r.AddError($"group name must be 1..{ControlProtocol.GroupNameLengthMax} bytes");
            }
        });
        return name;
    }

    private static Command BuildWatch(CliContext context)
    {
        var socket = NodeCommandSupport.SocketOption();
        var name = GroupName();
        var count = new Option<int?>("--count") { Description = "Exit after this many deliveries (default: run until interrupted)" };
        count.Validators.Add(r => NodeCommandSupport.Range(r, 1, int.MaxValue, token => $"--count must be a positive number, not {token}"));
        var command = new Command("watch", "Join a group and print every delivery and membership change as a JSON line.");
        command.Arguments.Add(name);
        command.Options.Add(count);
        command.Options.Add(socket);
        context.SetAction(command, result => NodeCommandSupport.WithClient(context, result, socket, async (client, cancel) =>
        {
            await using var membership = await client.JoinGroupAsync(result.GetValue(name)!, cancel).ConfigureAwait(false);
            var limit = result.GetValue(count);
            var delivered = 0;
            await foreach (var groupEvent in membership.ReadEventsAsync(cancel).ConfigureAwait(false))
            {
                context.Output.WriteLine(GroupEventFormatter.ToJsonLine(groupEvent));
                context.Output.Flush();
                if (groupEvent.Event == GroupEvent.Deliver && ++delivered == limit)
                {
                    break;
                }
            }

            return ExitCodes.Ok;
        }));
        return command;
    }

    private static Command BuildSend(CliContext context)
    {
        var socket = NodeCommandSupport.SocketOption();
        var name = GroupName();
        var count = new Option<int>("--count") { Description = "Messages to send", DefaultValueFactory = _ => 1 };
        var interval = new Option<int>("--interval") { Description = "Milliseconds between messages", DefaultValueFactory = _ => 0 };
        var size = new Option<int>("--size") { Description = $"Bytes per message ({GroupEventFormatter.SequencedSizeMin}..{ControlProtocol.GroupMessageSizeMax - 1024})", DefaultValueFactory = _ => 64 };
        var start = new Option<long>("--start") { Description = "Number of the first message", DefaultValueFactory = _ => 1 };
        count.Validators.Add(r => Positive(r, "--count", 1, int.MaxValue));
        interval.Validators.Add(r => Positive(r, "--interval", 0, 3_600_000));
        size.Validators.Add(r => Positive(r, "--size", GroupEventFormatter.SequencedSizeMin, ControlProtocol.GroupMessageSizeMax - 1024));
        start.Validators.Add(r => Positive(r, "--start", 0, long.MaxValue));
        var command = new Command("send", "Join a group and send numbered messages to it (the watchers see seq = the number).");
        command.Arguments.Add(name);
        command.Options.Add(count);
        command.Options.Add(interval);
        command.Options.Add(size);
        command.Options.Add(start);
        command.Options.Add(socket);
        context.SetAction(command, result => NodeCommandSupport.WithClient(context, result, socket, async (client, cancel) =>
        {
            var group = result.GetValue(name)!;
            await using var membership = await client.JoinGroupAsync(group, cancel).ConfigureAwait(false);
            var total = result.GetValue(count);
            var first = result.GetValue(start);
            for (var i = 0; i < total; i++)
            {
                if (i > 0 && result.GetValue(interval) > 0)
                {
                    await Task.Delay(result.GetValue(interval), cancel).ConfigureAwait(false);
                }

                await membership.SendAsync(GroupEventFormatter.SequencedPayload((ulong)(first + i), result.GetValue(size)), cancel).ConfigureAwait(false);
            }

            await membership.LeaveAsync(cancel).ConfigureAwait(false);
            context.Output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"sent {total} messages of {result.GetValue(size)} bytes to group {group} (seq {first}..{first + total - 1})"));
            return ExitCodes.Ok;
        }));
        return command;
    }

    private static void Positive(System.CommandLine.Parsing.OptionResult result, string name, long min, long max) =>
        NodeCommandSupport.Range(result, min, max, token => string.Create(CultureInfo.InvariantCulture, $"{name} must be {min}..{max}, not {token}"));
}
