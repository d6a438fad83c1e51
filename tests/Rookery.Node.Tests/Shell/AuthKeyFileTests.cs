using System.Diagnostics;
using Rookery.Node.Shell;

namespace Rookery.Node.Tests.Shell;

/// <summary>
/// Goal: the authkey is read as corosync reads it (at most 4,096 bytes) from regular files only, and a
/// key that others can read is accepted with a loud warning.
/// Method: real files, a FIFO, a directory and /dev/zero in a temporary directory, read through
/// <see cref="AuthKeyFile.Read"/>.
/// </summary>
public sealed class AuthKeyFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rookery-key-").FullName;

    [Fact]
    public void APrivateKeyIsReadWithoutWarnings()
    {
        var path = Write("authkey", 256, UnixFileMode.UserRead);
        var warnings = new List<string>();

        var key = AuthKeyFile.Read(path, out var error, warnings);

        Assert.Null(error);
        Assert.Equal(File.ReadAllBytes(path), key);
        Assert.Empty(warnings);
    }

    [Fact]
    public void ALongerFileGivesItsFirstFourKibibytesAndAWarning()
    {
        var path = Write("long", 10_000, UnixFileMode.UserRead);
        var warnings = new List<string>();

        var key = AuthKeyFile.Read(path, out var error, warnings);

        Assert.Null(error);
        Assert.Equal(File.ReadAllBytes(path)[..4096], key);
        Assert.Equal($"{path} is longer than 4096 bytes: only its first 4096 bytes are the key (as in corosync)", Assert.Single(warnings));
    }

    [Fact]
    public void AShortKeyIsRefusedInCorosyncsWords()
    {
        var path = Write("short", 100, UnixFileMode.UserRead);

        Assert.Null(AuthKeyFile.Read(path, out var error, []));
        Assert.Equal($"Could only read 800 bits of minimum 1024 bits from {path}.", error);
    }

    [Fact]
    public void AWorldReadableKeyIsAcceptedWithALoudWarning()
    {
        var path = Write("open", 256, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        var warnings = new List<string>();

        Assert.NotNull(AuthKeyFile.Read(path, out _, warnings));
        Assert.Equal(
            $"WARNING: authkey {path} is readable by group or others (mode 0644): whoever can read it can join the cluster and forge its traffic; run 'chmod 0400 {path}'",
            Assert.Single(warnings));
    }

    [Fact]
    public void NonRegularFilesAreRefusedWithoutBeingRead()
    {
        var fifo = Path.Combine(_directory, "fifo");
        using (var mkfifo = Process.Start("mkfifo", fifo))
        {
            mkfifo.WaitForExit();
        }

        foreach (var (path, what) in new[] { ("/dev/zero", "not a regular file (a character device)"), (fifo, "not a regular file (a FIFO)"), (_directory, "Is a directory") })
        {
            Assert.Null(AuthKeyFile.Read(path, out var error, []));
            Assert.Equal($"Could not open {path}: {what} (totem.keyfile must name a regular file; create one with 'rookery keygen {path}')", error);
        }
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string Write(string name, int length, UnixFileMode mode)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllBytes(path, System.Security.Cryptography.RandomNumberGenerator.GetBytes(length));
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(path, mode);
        }

        return path;
    }
}
