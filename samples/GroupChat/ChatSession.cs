using System.Text;
using Rookery.Client;
using Rookery.Control;

namespace GroupChat;

/// <summary>
/// One chat: joins <c>group</c>, sends each input line as one group message and writes each delivered message as
/// <c>nodeid/pid: text</c>. Ends when the input ends and the node has delivered this member's own last line back,
/// so nothing typed is lost when the program exits. Other members' empty messages print nothing.
/// </summary>
public static class ChatSession
{
    /// <summary>Runs the chat until <paramref name="input"/> ends (or <paramref name="cancellationToken"/> fires).</summary>
    public static async Task RunAsync(RookeryClient client, string group, TextReader input, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(input);
        ArgumentNullException.ThrowIfNull(output);
        var ownNodeid = (await client.GetStatusAsync(cancellationToken).ConfigureAwait(false)).Quorum.NodeId;
        var ownPid = (uint)Environment.ProcessId;
        await using var membership = await client.JoinGroupAsync(group, cancellationToken).ConfigureAwait(false);
        var printing = PrintAsync(membership, output, cancellationToken);

        while (await input.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
        {
            await membership.SendAsync(Encoding.UTF8.GetBytes(line), cancellationToken).ConfigureAwait(false);
        }

        // A last, empty message marks the end: once it comes back, every line before it was delivered (agreed order).
        await membership.SendAsync(ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
        await printing.ConfigureAwait(false);
        await membership.LeaveAsync(cancellationToken).ConfigureAwait(false);

        async Task PrintAsync(GroupMembership chat, TextWriter writer, CancellationToken cancel)
        {
            await foreach (var groupEvent in chat.ReadEventsAsync(cancel).ConfigureAwait(false))
            {
                if (groupEvent.Event != GroupEvent.Deliver)
                {
                    continue;
                }

                if (groupEvent.Data is not { Length: > 0 } data)
                {
                    if (groupEvent.Nodeid == ownNodeid && groupEvent.Pid == ownPid)
                    {
                        return;
                    }

                    continue;
                }

                await writer.WriteLineAsync($"{groupEvent.Nodeid}/{groupEvent.Pid}: {Encoding.UTF8.GetString(data)}").ConfigureAwait(false);
            }
        }
    }
}
