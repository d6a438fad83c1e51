using System.CommandLine;
using System.Globalization;

namespace Rookery.Cli.Commands;

/// <summary><c>rookery expected N</c>: set the expected votes of the cluster (pvecm expected, corosync-quorumtool -e).</summary>
public static class ExpectedCommand
{
    public static Command Build(CliContext context)
    {
        var socket = NodeCommandSupport.SocketOption();
        var votes = new Argument<long>("N")
        {
            Description = "New expected votes (a positive number)",
            CustomParser = NodeCommandSupport.WholeNumber(token => $"New expected votes value was not valid, try a positive number (got {token})"),
        };
        votes.Validators.Add(r => NodeCommandSupport.Range(r, 1, uint.MaxValue, token => $"New expected votes value was not valid, try a positive number (got {token})"));
        var command = new Command("expected", "Set the expected votes (pvecm expected); refused below the votes present.");
        command.Arguments.Add(votes);
        command.Options.Add(socket);
        var json = NodeCommandSupport.JsonOption();
        command.Options.Add(json);
        context.SetAction(command, result => NodeCommandSupport.WithClient(context, result, socket, async (client, cancel) =>
        {
            var value = (uint)result.GetValue(votes);
            await client.SetExpectedVotesAsync(value, cancel).ConfigureAwait(false);
            if (result.GetValue(json))
            {
                CliJson.Write(context, ("expected_votes", value));
            }
            else
            {
                context.Output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"expected votes set to {value}"));
            }

            return ExitCodes.Ok;
        }));
        return command;
    }
}
