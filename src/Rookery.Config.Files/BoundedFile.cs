using System.Runtime.InteropServices;

namespace Rookery.Config;

/// <summary>What a path names, from <c>statx</c> (symbolic links followed).</summary>
public enum FileKind
{
    Regular,
    Directory,
    Fifo,
    CharacterDevice,
    BlockDevice,
    Socket,
    Other,
}

/// <summary>The facts of a file the daemon reads: its kind, permission bits and owner.</summary>
public readonly record struct FileFacts(FileKind Kind, UnixFileMode Mode, uint Uid, uint Gid, long Size)
{
    /// <summary>The kind in the words of <c>ls</c>/<c>stat</c>, for messages.</summary>
    public string KindName => Kind switch
    {
        FileKind.Regular => "a regular file",
        FileKind.Directory => "a directory",
        FileKind.Fifo => "a FIFO",
        FileKind.CharacterDevice => "a character device",
        FileKind.BlockDevice => "a block device",
        FileKind.Socket => "a socket",
        _ => "not a regular file",
    };
}

/// <summary>
/// Reads files that an admin (or an attacker who can name a path) chooses, without trusting them:
/// the kind is checked before the file is opened (opening a FIFO would block, /dev/zero never
/// ends) and at most a named number of bytes is read, whatever the file's size.
/// </summary>
public static class BoundedFile
{
    /// <summary>The kind, mode and owner of <paramref name="path"/>; false with strerror's words when it cannot be examined.</summary>
    public static bool TryExamine(string path, out FileFacts facts, out string error)
    {
        facts = default;
        error = string.Empty;
        if (OperatingSystem.IsWindows())
        {
            error = "not supported on this platform";
            return false;
        }

        var buffer = new byte[StatxSize];
        if (Statx(AtCurrentDirectory, path, 0, StatxWanted, buffer) != 0)
        {
            error = Marshal.GetLastPInvokeErrorMessage();
            return false;
        }

        var mode = BitConverter.ToUInt16(buffer, 28);
        var kind = (mode & 0xF000) switch
        {
            0x8000 => FileKind.Regular,
            0x4000 => FileKind.Directory,
            0x1000 => FileKind.Fifo,
            0x2000 => FileKind.CharacterDevice,
            0x6000 => FileKind.BlockDevice,
            0xC000 => FileKind.Socket,
            _ => FileKind.Other,
        };
        facts = new FileFacts(kind, (UnixFileMode)(mode & 0xFFF), BitConverter.ToUInt32(buffer, 20), BitConverter.ToUInt32(buffer, 24), BitConverter.ToInt64(buffer, 40));
        return true;
    }

    /// <summary>
    /// Reads at most <paramref name="bytesMax"/> bytes of a regular file; <paramref name="more"/> says
    /// whether the file had more. Anything but a regular file is refused without being opened.
    /// </summary>
    public static bool TryRead(string path, int bytesMax, out byte[] bytes, out bool more, out FileFacts facts, out string error)
    {
        bytes = [];
        more = false;
        if (!TryExamine(path, out facts, out error))
        {
            return false;
        }

        if (facts.Kind != FileKind.Regular)
        {
            error = facts.Kind == FileKind.Directory ? "Is a directory" : $"not a regular file ({facts.KindName})";
            return false;
        }

        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1);
            var buffer = new byte[bytesMax + 1];
            var total = 0;
            while (total < buffer.Length)
            {
                var read = stream.Read(buffer, total, buffer.Length - total);
                if (read == 0)
                {
                    break;
                }

                total += read;
            }

            more = total > bytesMax;
            bytes = buffer[..Math.Min(total, bytesMax)];
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            error = ConfigFile.Reason(e);
            return false;
        }
    }

    private const int AtCurrentDirectory = -100;

    /// <summary>STATX_TYPE | STATX_MODE | STATX_UID | STATX_GID | STATX_SIZE.</summary>
    private const uint StatxWanted = 0x1 | 0x2 | 0x8 | 0x10 | 0x200;

    /// <summary><c>struct statx</c> is 256 bytes with the same layout on every Linux architecture (mode at 28, uid 20, gid 24, size 40).</summary>
    private const int StatxSize = 256;

    [DllImport("libc", EntryPoint = "statx", SetLastError = true, CharSet = CharSet.Ansi, BestFitMapping = false)]
    private static extern int Statx(int directory, string path, int flags, uint mask, byte[] buffer);
}
