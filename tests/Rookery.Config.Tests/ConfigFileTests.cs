namespace Rookery.Config.Tests;

public sealed class ConfigFileTests : IDisposable
{
    private readonly DirectoryInfo _root = Directory.CreateTempSubdirectory("rookery-file-");

    [Fact]
    public void AtomicWriteReplacesTheFileWithTheModeAndLeavesNoTemporary()
    {
        var path = Path.Combine(_root.FullName, "corosync.conf");
        File.WriteAllText(path, "old");

        ConfigFile.WriteAtomic(path, "new\n");

        Assert.Equal("new\n", File.ReadAllText(path));
        Assert.False(File.Exists(path + ".new"));
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead, File.GetUnixFileMode(path));
        }
    }

    [Fact]
    public void AFailedWriteRemovesTheTemporaryAndLeavesTheTargetAlone()
    {
        var target = Path.Combine(_root.FullName, "taken");
        Directory.CreateDirectory(target);
        var existing = Path.Combine(_root.FullName, "existing");
        File.WriteAllText(existing, "keep");

        Assert.ThrowsAny<IOException>(() => ConfigFile.WriteAtomic(target, "x"));
        Assert.ThrowsAny<IOException>(() => ConfigFile.WriteAtomic(existing, [1, 2], UnixFileMode.UserRead, overwrite: false));

        Assert.True(Directory.Exists(target));
        Assert.Equal("keep", File.ReadAllText(existing));
        Assert.Empty(_root.EnumerateFiles("*.new"));
    }

    public void Dispose() => _root.Delete(recursive: true);
}
