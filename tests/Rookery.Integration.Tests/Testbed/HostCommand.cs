using System.Diagnostics;
using System.Text;

namespace Rookery.Integration.Tests.Testbed;

/// <summary>The result of one finished command.</summary>
public sealed record CommandResult(string CommandLine, int ExitCode, string StandardOutput, string StandardError)
{
    public bool Succeeded => ExitCode == 0;
}

/// <summary>A host command (ip, nft, corosync tools) that failed; the message carries the command line and its stderr.</summary>
public sealed class HostCommandException(string message) : Exception(message);

/// <summary>Runs host tools to completion with a deadline; never leaves a child behind.</summary>
public static class HostCommand
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(20);

    /// <summary>Runs and throws <see cref="HostCommandException"/> unless it exits 0.</summary>
    public static CommandResult Check(string file, IEnumerable<string> arguments, string? standardInput = null, TimeSpan? timeout = null)
    {
        var result = Run(file, arguments, standardInput, timeout);
        if (!result.Succeeded)
        {
            throw new HostCommandException(
                $"`{result.CommandLine}` exited {result.ExitCode}: {result.StandardError.Trim()} {result.StandardOutput.Trim()}".Trim());
        }

        return result;
    }

    /// <summary>Runs and returns whatever happened (exit code 127 when the tool is missing).</summary>
    public static CommandResult Run(string file, IEnumerable<string> arguments, string? standardInput = null, TimeSpan? timeout = null)
    {
        var start = new ProcessStartInfo(Resolve(file))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = standardInput is not null,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        var commandLine = string.Join(' ', start.ArgumentList.Prepend(file));
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new HostCommandException($"`{commandLine}` did not start");
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            return new CommandResult(commandLine, 127, string.Empty, exception.Message);
        }

        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEndAsync();
            if (standardInput is not null)
            {
                process.StandardInput.Write(standardInput);
                process.StandardInput.Close();
            }

            if (!process.WaitForExit(timeout ?? DefaultTimeout))
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit();
                return new CommandResult(commandLine, -1, output.Result, $"timed out after {timeout ?? DefaultTimeout}; {error.Result}");
            }

            return new CommandResult(commandLine, process.ExitCode, output.Result, error.Result);
        }
    }

    /// <summary>Finds a tool on PATH or in the sbin directories (which a non-login PATH may lack).</summary>
    public static string Resolve(string file)
    {
        if (file.Contains('/', StringComparison.Ordinal))
        {
            return file;
        }

        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        foreach (var directory in path.Split(':', StringSplitOptions.RemoveEmptyEntries).Concat(["/usr/sbin", "/sbin", "/usr/bin", "/bin"]))
        {
            var candidate = Path.Combine(directory, file);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return file;
    }

    public static bool Exists(string file) => File.Exists(Resolve(file));

    internal static string Lines(IEnumerable<string> lines)
    {
        var text = new StringBuilder();
        foreach (var line in lines)
        {
            text.Append(line).Append('\n');
        }

        return text.ToString();
    }
}
