using System.CommandLine;
using System.Runtime.InteropServices;
using Rookery.Client;
using Rookery.Node;
using Rookery.Control;

namespace Rookery.Cli.Commands;

/// <summary>
/// What the commands that talk to the running node share: <c>--socket PATH</c>, <c>--json</c>, connecting, and
/// turning a node's refusal into one clear line on stderr with exit 1.
/// </summary>
public static class NodeCommandSupport
{
    public static Option<string> SocketOption() => new("--socket")
    {
        Description = $"Control socket of the node (default: ${ControlSocket.EnvironmentVariable}, else {ControlSocket.DefaultPath})",
    };

    /// <summary>
    /// Checks that the number given is in [min, max] with <paramref name="message"/>; a value that is not a number
    /// at all is left to the parser, which names it.
    /// </summary>
    public static void Range(System.CommandLine.Parsing.SymbolResult result, long min, long max, Func<string, string> message)
    {
        var token = result.Tokens.Count > 0 ? result.Tokens[^1].Value : null;
        if (token is not null && long.TryParse(token, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var value)
            && (value < min || value > max))
        {
            result.AddError(message(token));
        }
    }

    /// <summary>
    /// Parses a whole number argument, or reports <paramref name="message"/> (given the token) instead of
    /// System.CommandLine's own "as expected type 'System.Int64'".
    /// </summary>
    public static Func<System.CommandLine.Parsing.ArgumentResult, long> WholeNumber(Func<string, string> message) => result =>
    {
        var token = result.Tokens.Count > 0 ? result.Tokens[^1].Value : string.Empty;
        if (long.TryParse(token, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var value))
        {
            return value;
        }

        result.AddError(message(token));
        return 0;
    };

    public static Option<bool> JsonOption() => new("--json") { Description = "One JSON document on stdout (field names: architecture.md §5)" };

    /// <summary>
    /// A command that asks the node something and prints it, in human form or with <c>--json</c>:
    /// <paramref name="body"/> gets the client, whether JSON was asked for, and the cancellation.
    /// </summary>
    public static Command Query(CliContext context, string name, string description, Func<RookeryClient, bool, CancellationToken, Task<int>> body)
    {
        var socket = SocketOption();
        var json = JsonOption();
        var command = new Command(name, description);
        command.Options.Add(socket);
        command.Options.Add(json);
        context.SetAction(command, result => WithClient(context, result, socket, (client, cancel) => body(client, result.GetValue(json), cancel)));
        return command;
    }

    /// <summary>SIGINT and SIGTERM cancel <paramref name="cancel"/> instead of killing the process (a clean leave, a clean exit).</summary>
    public static IDisposable CancelOnSignals(CancellationTokenSource cancel)
    {
        var registrations = new[] { PosixSignal.SIGINT, PosixSignal.SIGTERM }.Select(kind => PosixSignalRegistration.Create(kind, signal =>
        {
            signal.Cancel = true;
            cancel.Cancel();
        })).ToArray();
        return new Registrations(registrations);
    }

    /// <summary>Connects, runs <paramref name="body"/>, and maps node errors to <see cref="CliException"/>.</summary>
    public static int WithClient(CliContext context, ParseResult result, Option<string> socket, Func<RookeryClient, CancellationToken, Task<int>> body)
    {
        using var cancel = new CancellationTokenSource();
        using var signals = CancelOnSignals(cancel);
        try
        {
            return Task.Run(async () =>
            {
                var path = result.GetValue(socket) is { Length: > 0 } explicitPath ? explicitPath : context.GetEnvironment(ControlSocket.EnvironmentVariable);
                await using var client = await RookeryClient.ConnectAsync(string.IsNullOrEmpty(path) ? ControlSocket.DefaultPath : path, cancel.Token).ConfigureAwait(false);
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

    private sealed class Registrations(PosixSignalRegistration[] registrations) : IDisposable
    {
        public void Dispose()
        {
            foreach (var registration in registrations)
            {
                registration.Dispose();
            }
        }
    }
}
