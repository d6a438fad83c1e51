using System.Diagnostics;

namespace Rookery.Cli.Demo;

/// <summary>
/// Starts this very <c>rookery</c> command as a child process (<c>rookery daemon</c>, <c>rookery link disable</c>),
/// whether it runs as an apphost or as <c>dotnet rookery.dll</c>, and stops children politely (SIGTERM, then kill).
/// </summary>
public static class RookeryProcess
{
    /// <summary>How long a stopped child gets to leave the cluster before it is killed.</summary>
    public static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(5);

    /// <summary>A start description for <c>rookery ARGS</c> with output redirected; <paramref name="environment"/> is added to ours.</summary>
    public static ProcessStartInfo StartInfo(IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment = null)
    {
        var host = Environment.ProcessPath ?? throw new CliException("cannot find the path of the running rookery program");
        var start = new ProcessStartInfo(host)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
        };
        if (Path.GetFileNameWithoutExtension(host) == "dotnet")
        {
            // Run through the dotnet host: the program is rookery.dll next to this assembly. (A native build, see
            // packaging/publish.sh, is its own host and never gets here.)
            start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "rookery.dll"));
        }

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

    /// <summary>Runs <c>rookery ARGS</c> to completion (at most <paramref name="timeout"/>): exit code and both outputs.</summary>
    public static async Task<(int ExitCode, string Output, string Error)> RunAsync(
        IEnumerable<string> arguments, IReadOnlyDictionary<string, string>? environment, TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var process = Process.Start(StartInfo(arguments, environment)) ?? throw new CliException("could not start rookery");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var error = process.StandardError.ReadToEndAsync(cancellationToken);
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(deadline.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await output.ConfigureAwait(false), await error.ConfigureAwait(false));
    }

    /// <summary>Sends SIGTERM (the daemon leaves the cluster and exits), waits up to <see cref="StopGrace"/>, then kills.</summary>
    public static async Task StopAsync(Process process)
    {
        if (HasExited(process))
        {
            return;
        }

        try
        {
            using var kill = Process.Start(new ProcessStartInfo("kill") { ArgumentList = { "-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) }, UseShellExecute = false });
            if (kill is not null)
            {
                await kill.WaitForExitAsync().ConfigureAwait(false);
            }
        }
        catch (System.ComponentModel.Win32Exception)
        {
            // No kill(1): fall through to Kill below.
        }

        using var grace = new CancellationTokenSource(StopGrace);
        try
        {
            await process.WaitForExitAsync(grace.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync().ConfigureAwait(false);
        }
    }

    private static bool HasExited(Process process)
    {
        try
        {
            return process.HasExited;
        }
        catch (InvalidOperationException)
        {
            return true;
        }
    }
}
