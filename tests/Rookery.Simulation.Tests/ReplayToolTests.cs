namespace Rookery.Simulation.Tests;

[CollectionDefinition(nameof(ConsoleCollection), DisableParallelization = true)]
public sealed class ConsoleCollection;

/// <summary>
/// Goal: the seed replay tool (tools/Rookery.Sim) rejects bad command lines with exit code 2, and
/// replays a seed with its full trace, reproducing it byte for byte (<c>--verify</c>).
/// Method: its <c>Main</c> in process, with the console captured.
/// </summary>
[Collection(nameof(ConsoleCollection))]
public sealed class ReplayToolTests
{
    [Theory]
    [InlineData("")]
    [InlineData("--seed twelve")]
    [InlineData("--seed 1 --scenario nope")]
    [InlineData("--seed 1 --sweep 3")]
    [InlineData("--seed")]
    [InlineData("--seed 1 --bogus")]
    public void BadCommandLinesExitWithTwoAndSayWhy(string commandLine)
    {
        var (code, _, error) = Run(commandLine.Split(' ', StringSplitOptions.RemoveEmptyEntries));

        Assert.Equal(2, code);
        Assert.Contains("usage: rookery-sim", error, StringComparison.Ordinal);
    }

    [Fact]
    public void ReplayPrintsTheFullTraceAndReproducesTheSeed()
    {
        var (code, output, _) = Run(["--seed", "5", "--scenario", "link-cut", "--trace", "--verify"]);

        Assert.Equal(0, code);
        Assert.Contains("seed=5", output, StringComparison.Ordinal);
        Assert.Contains("cut link 0", output, StringComparison.Ordinal);
        Assert.Contains(" deliver ", output, StringComparison.Ordinal);
        Assert.Contains("Regular configuration", output, StringComparison.Ordinal);
        Assert.Contains("reproduced byte for byte", output, StringComparison.Ordinal);
    }

    private static (int Code, string Output, string Error) Run(string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var (savedOut, savedError) = (Console.Out, Console.Error);
        Console.SetOut(output);
        Console.SetError(error);
        try
        {
            return (Rookery.Sim.Program.Main(args), output.ToString(), error.ToString());
        }
        finally
        {
            Console.SetOut(savedOut);
            Console.SetError(savedError);
        }
    }
}
