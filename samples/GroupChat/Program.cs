// GroupChat: every line typed is sent to a process group; every line any member sends is printed, in agreed order.
//   dotnet run --project samples/GroupChat -- GROUP [--socket PATH]
using Rookery.Client;
using GroupChat;

if (args.Length is not (1 or 3) || (args.Length == 3 && args[1] != "--socket"))
{
    await Console.Error.WriteLineAsync("usage: GroupChat GROUP [--socket PATH]");
    return 2;
}

using var stop = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    stop.Cancel();
};
await using var client = await RookeryClient.ConnectAsync(args.Length == 3 ? args[2] : null, stop.Token);
await ChatSession.RunAsync(client, args[0], Console.In, Console.Out, stop.Token);
return 0;
