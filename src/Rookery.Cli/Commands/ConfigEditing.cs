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

    private static UnixFileMode CurrentMode(string path) =>
        OperatingSystem.IsWindows() ? KeygenCommand.ConfigMode : File.GetUnixFileMode(path);
}
