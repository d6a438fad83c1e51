using System.Diagnostics;
using System.Text.Json;

namespace Rookery.Integration.Tests.Procedure;

/// <summary>The outcome of one <c>rookery</c> command.</summary>
public sealed record RookeryResult(string CommandLine, int ExitCode, string Output, string Error)
{
    public override string ToString() => $"$ {CommandLine}\nexit {ExitCode}\n{Output}{Error}";
}

/// <summary>
/// The real <c>rookery</c> program as built next to the tests (<c>dotnet rookery.dll</c>): every command of the
/// procedure runs through it, as an administrator would type it.
/// </summary>
public static class RookeryBinary
{
    public static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(60);

    public static string Dll => Path.Combine(AppContext.BaseDirectory, "rookery.dll");

    /// <summary>A start description for <c>rookery ARGS</c>, output redirected, with extra environment variables.</summary>
    public static ProcessStartInfo StartInfo(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        start.ArgumentList.Add(Dll);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        return start;
    }

    /// <summary>Runs <c>rookery ARGS</c> to completion; killed (and reported as exit -1) after <paramref name="timeout"/>.</summary>
    public static async Task<RookeryResult> RunAsync(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, TimeSpan? timeout = null)
    {
        var start = StartInfo(arguments, environment);
        var commandLine = "rookery " + string.Join(' ', start.ArgumentList.Skip(1));
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {commandLine}");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        var error = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var deadline = new CancellationTokenSource(timeout ?? CommandTimeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync(CancellationToken.None);
            return new RookeryResult(commandLine, -1, await output, await error + $"\n(killed after {(timeout ?? CommandTimeout).TotalSeconds} s)");
        }

        return new RookeryResult(commandLine, process.ExitCode, await output, await error);
    }

    /// <summary>Runs a command that must succeed (exit 0, or one of <paramref name="alsoAccepted"/>).</summary>
    public static async Task<RookeryResult> CheckAsync(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, params int[] alsoAccepted)
    {
        var result = await RunAsync(arguments, environment);
        Assert.True(result.ExitCode == 0 || alsoAccepted.Contains(result.ExitCode), result.ToString());
        return result;
    }

    /// <summary>Runs a <c>--json</c> command and parses its one document.</summary>
    public static async Task<JsonElement> JsonAsync(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null, params int[] alsoAccepted)
    {
        var result = await CheckAsync(arguments, environment, alsoAccepted);
        try
        {
            using var document = JsonDocument.Parse(result.Output);
            return document.RootElement.Clone();
        }
        catch (JsonException exception)
        {
            Assert.Fail($"not one JSON document ({exception.Message}):\n{result}");
            throw;
        }
    }
}
