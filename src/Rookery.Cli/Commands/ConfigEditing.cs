using System.CommandLine;
using Rookery.Config;

namespace Rookery.Cli.Commands;

/// <summary>Read-modify-write of an existing corosync.conf for the commands that change it (addnode, delnode).</summary>
public sealed class ConfigEditing
{
    private ConfigEditing(string path, ConfigEditor editor, CorosyncConfig original)
    {
        Path = path;
        Editor = editor;
        Original = original;
    }

    public string Path { get; }

    public ConfigEditor Editor { get; }

    /// <summary>The configuration as it was read.</summary>
    public CorosyncConfig Original { get; }

    /// <summary>Reads and checks the file; a file that does not parse or is not valid is refused with every error (pvecm: "invalid corosync.conf").</summary>
    public static ConfigEditing Open(string path)
    {
        if (!ConfigFile.TryReadText(path, out var text, out var readError))
        {
            throw new CliException(readError);
        }

        var loaded = ConfigLoader.Load(text, path);
        if (loaded.HasErrors)
        {
            throw new CliException("invalid corosync.conf\n" + string.Join("\n", loaded.Errors.Select(e => $"rookery: {e}")));
        }

        var editor = ConfigEditor.TryOpen(text, path, out _) ?? throw new CliException($"invalid corosync.conf: {path}");
        return new ConfigEditing(path, editor, loaded.Config);
    }

    /// <summary>Raises config_version by one, checks the result and replaces the file atomically; nothing is written when the result is not valid.</summary>
    public ulong Save()
    {
        var version = Editor.BumpConfigVersion();
        var result = ConfigLoader.Load(Editor.Text, Path);
        if (result.HasErrors)
        {
            throw new CliException("the change would make corosync.conf invalid; nothing was written\n" + string.Join("\n", result.Errors.Select(e => $"rookery: {e.Message}")));
        }

        ConfigFile.WriteAtomic(Path, System.Text.Encoding.UTF8.GetBytes(Editor.Text), CurrentMode(Path), overwrite: true);
        return version;
    }

    /// <summary>
    /// The control socket of the daemon that runs this file, when one does: <c>--socket</c> when given, else the daemon
    /// registry's entry for the file. Then the change goes to every member through it (<c>config apply</c>); otherwise
    /// the file is written here.
    /// </summary>
    public string? RunningSocket(ParseResult result, Option<string> socket) =>
        result.GetValue(socket) is { Length: > 0 } explicitPath ? explicitPath : Rookery.Node.Shell.DaemonRegistry.SocketFor(Path);

    /// <summary>Raises config_version by one and checks the result; the text to send to the running cluster.</summary>
    public string Prepare(out ulong version)
    {
        version = Editor.BumpConfigVersion();
        var result = ConfigLoader.Load(Editor.Text, Path);
        if (result.HasErrors)
        {
            throw new CliException("the change would make corosync.conf invalid; nothing was sent\n" + string.Join("\n", result.Errors.Select(e => $"rookery: {e.Message}")));
        }

        return Editor.Text;
    }

    /// <summary>
    /// Commits the edit: through the running daemon to every member (one agreed step, per-member report) when one
    /// runs this file, else by writing the file here. <paramref name="announce"/> prints the command's line with the new version.
    /// </summary>
    public int Commit(CliContext context, ParseResult result, Option<string> socket, bool json, Action<ulong> announce)
    {
        if (RunningSocket(result, socket) is { } socketPath)
        {
            var text = Prepare(out var sent);
            if (!json)
            {
                announce(sent);
            }

            return ConfigApplyCommand.SendTo(context, socketPath, text, dryRun: false, json);
        }

        var version = Save();
        if (!json)
        {
            announce(version);
        }

        return ExitCodes.Ok;
    }

    private static UnixFileMode CurrentMode(string path) =>
        OperatingSystem.IsWindows() ? KeygenCommand.ConfigMode : File.GetUnixFileMode(path);
}
