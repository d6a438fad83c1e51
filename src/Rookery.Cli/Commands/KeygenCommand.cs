using System.CommandLine;
using System.Security.Cryptography;
using Rookery.Config;

namespace Rookery.Cli.Commands;

/// <summary><c>rookery keygen FILE</c>: 256 random bytes, mode 0400 (corosync-keygen; pvecm keygen).</summary>
public static class KeygenCommand
{
    public const UnixFileMode KeyMode = UnixFileMode.UserRead;

    public const UnixFileMode ConfigMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    public static Command Build(CliContext context)
    {
        var file = new Argument<string>("FILE") { Description = "Where to write the key" };
        var command = new Command("keygen", $"Write a new shared key of {Defaults.AuthKeyBytes} random bytes (mode 0400), like corosync-keygen.");
        command.Arguments.Add(file);
        context.SetAction(command, result =>
        {
            var path = result.GetRequiredValue(file);
            if (File.Exists(path) || Directory.Exists(path))
            {
                throw new CliException($"key file '{path}' already exists");
            }

            // corosync-keygen creates the file only: a missing directory is the admin's typo more often than a wish.
            var directory = Path.GetDirectoryName(Path.GetFullPath(path));
            if (directory is not null && !Directory.Exists(directory))
            {
                throw new CliException($"Could not create {path}: No such file or directory (directory {directory} does not exist; create it first)");
            }

            WriteKey(path);
            context.Output.WriteLine($"Writing corosync key to {path}");
            return ExitCodes.Ok;
        });
        return command;
    }

    /// <summary>Writes a fresh random key atomically, refusing to replace an existing file.</summary>
    public static void WriteKey(string path) =>
        ConfigFile.WriteAtomic(path, RandomNumberGenerator.GetBytes(Defaults.AuthKeyBytes), KeyMode, overwrite: false);
}
