using System.CommandLine;
using System.Runtime.InteropServices;
using Rookery.Client;
using Rookery.Node;
using Rookery.Node.Control;

namespace Rookery.Cli.Commands;

/// <summary>
/// What the commands that talk to the running node share: <c>--socket PATH</c>, <c>--json</c>, connecting, and
/// turning a node's refusal into one clear line on stderr with exit 1.
/// </summary>
public static class NodeCommandSupport
{
    public static Option<string> SocketOption() => new("--socket")
    {
        Description = $"Control socket of the node (default: ${NodePaths.SocketEnvironmentVariable}, else {NodePaths.DefaultSocket})",
    };

    public static Option<bool> JsonOption() => new("--json") { Description = "One JSON document on stdout (field names: architecture.md §5)" };

    /// <summary>Connects, runs <paramref name="body"/>, and maps node errors to <see cref="CliException"/>.</summary>
    public static int WithClient(CliContext context, ParseResult result, Option<string> socket, Func<RookeryClient, CancellationToken, Task<int>> body)
    {
        using var cancel = new CancellationTokenSource();
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, signal =>
        {
            signal.Cancel = true;
            cancel.Cancel();
        });
        using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, signal =>
        {
            signal.Cancel = true;
            cancel.Cancel();
        });
        try
        {
            return Task.Run(async () =>
            {
                var path = result.GetValue(socket) is { Length: > 0 } explicitPath ? explicitPath : context.GetEnvironment(NodePaths.SocketEnvironmentVariable);
                await using var client = await RookeryClient.ConnectAsync(string.IsNullOrEmpty(path) ? NodePaths.DefaultSocket : path, cancel.Token).ConfigureAwait(false);
                return await body(client, cancel.Token).ConfigureAwait(false);
            }).GetAwaiter().GetResult();
        }
        catch (NodeControlException exception)
        {
            throw new CliException(exception.Message);
        }
        catch (OperationCanceledException) when (cancel.IsCancellationRequested)
        {
            return ExitCodes.Ok;
        }
    }
}
