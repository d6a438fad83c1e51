using System.CommandLine;
using System.Net;
using Rookery.Config;

namespace Rookery.Cli;

/// <summary>Exit codes of every <c>rookery</c> command.</summary>
public static class ExitCodes
{
    public const int Ok = 0;

    /// <summary>Any failure: bad input, an I/O error, a refused change.</summary>
    public const int Error = 1;

    /// <summary>The command line itself is wrong (unknown option, missing argument).</summary>
    public const int Usage = 2;

    /// <summary><c>rookery config check</c>: the file is not valid (corosync's <c>COROSYNC_DONE_MAINCONFIGREAD</c>).</summary>
    public const int ConfigInvalid = 8;
}

/// <summary>A failure a command reports to the user: printed as <c>rookery: MESSAGE</c> on stderr, exit <see cref="ExitCode"/>.</summary>
public sealed class CliException(string message, int exitCode = ExitCodes.Error) : Exception(message)
{
    public int ExitCode { get; } = exitCode;
}

/// <summary>
/// What a command may touch of the outside world: its output streams, the environment, this
/// host's name and addresses. <see cref="System"/> is the real one; tests pass their own, so
/// commands run in-process and in parallel. Also holds the options every command shares.
/// </summary>
public sealed class CliContext
{
    public required TextWriter Output { get; init; }

    public required TextWriter Error { get; init; }

    /// <summary>Where questions are answered (<c>config edit</c>'s confirmation); empty for tests that pass none.</summary>
    public TextReader Input { get; init; } = TextReader.Null;

    public Func<string, string?> GetEnvironment { get; init; } = Environment.GetEnvironmentVariable;

    /// <summary>This host's name (short form), used as the default node name.</summary>
    public Func<string> HostName { get; init; } = () => Dns.GetHostName().Split('.')[0];

    public Func<IReadOnlyList<IPAddress>> LocalAddresses { get; init; } = Rookery.Node.Shell.NodeOptions.SystemAddresses;

    /// <summary>Resolves a host name (empty when it does not resolve).</summary>
    public Func<string, IReadOnlyList<IPAddress>> Resolve { get; init; } = Rookery.Node.Shell.NodeOptions.ResolveWithDns;

    /// <summary><c>--config-dir DIR</c>, on every command (architecture.md §4).</summary>
    public Option<string> ConfigDirOption { get; } = new("--config-dir")
    {
        Description = $"Configuration directory (default: $ROOKERY_CONFIG_DIR, else {Defaults.ConfigDir})",
        Recursive = true,
    };

    /// <summary><c>--config FILE</c>, on every command: the configuration file itself (its key is <c>authkey</c> next to it).</summary>
    public Option<string> ConfigOption { get; } = new("--config")
    {
        Description = "Configuration file (default: corosync.conf in the configuration directory)",
        HelpName = "FILE",
        Recursive = true,
    };

    public static CliContext System() => new() { Output = Console.Out, Error = Console.Error, Input = Console.In };

    /// <summary>The configuration directory: <c>--config-dir</c>, else <c>ROOKERY_CONFIG_DIR</c>, else /etc/rookery.</summary>
    public string ConfigDir(ParseResult result)
    {
        var fromOption = result.GetValue(ConfigDirOption);
        if (!string.IsNullOrEmpty(fromOption))
        {
            return fromOption;
        }

        var fromEnvironment = GetEnvironment("ROOKERY_CONFIG_DIR");
        return string.IsNullOrEmpty(fromEnvironment) ? Defaults.ConfigDir : fromEnvironment;
    }

    /// <summary>The configuration file: <c>--config</c>, else corosync.conf in <see cref="ConfigDir"/>.</summary>
    public string ConfigPath(ParseResult result) =>
        result.GetValue(ConfigOption) is { Length: > 0 } file ? file : Path.Combine(ConfigDir(result), Defaults.ConfigFileName);

    /// <summary>The key file: authkey next to the configuration file.</summary>
    public string KeyPath(ParseResult result) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(ConfigPath(result))) ?? ConfigDir(result), Defaults.KeyFileName);

    /// <summary>Prints <c>rookery: MESSAGE</c> on stderr.</summary>
    public void Fail(string message) => Error.WriteLine($"rookery: {message}");

    /// <summary>Runs a command body: a <see cref="CliException"/> or an I/O error becomes one message on stderr and its exit code.</summary>
    public int Run(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (CliException e)
        {
            Fail(e.Message);
            return e.ExitCode;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            Fail(Rookery.Config.ConfigFile.Reason(e));
            return ExitCodes.Error;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            Fail(e.Message);
            return ExitCodes.Error;
        }
    }

    /// <summary>Binds a command's action to <see cref="Run"/>.</summary>
    public void SetAction(Command command, Func<ParseResult, int> action) => command.SetAction(result => Run(() => action(result)));
}
