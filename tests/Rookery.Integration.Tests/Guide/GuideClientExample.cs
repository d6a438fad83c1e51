using System.Text;
using Rookery.Client;

namespace Rookery.Examples;

public static class Hello
{
    public static async Task RunAsync(string socket, TextWriter output, CancellationToken cancellationToken = default)
    {
        await using var client = await RookeryClient.ConnectAsync(socket, cancellationToken);
        var status = await client.GetStatusAsync(cancellationToken);
        output.WriteLine($"ring {status.Quorum.RingId}, quorate: {status.Quorum.Quorate}, members: {status.Members.Count}");

        await using var group = await client.JoinGroupAsync("hello", cancellationToken);
        var text = $"hello from pid {Environment.ProcessId}";
        await group.SendAsync(Encoding.UTF8.GetBytes(text), cancellationToken);
        await foreach (var groupEvent in group.ReadEventsAsync(cancellationToken))
        {
            if (groupEvent.Event == "deliver" && Encoding.UTF8.GetString(groupEvent.Data ?? []) == text)
            {
                output.WriteLine($"delivered in agreed order by node {groupEvent.Nodeid}: {text}");
                break;
            }
        }
    }
}
