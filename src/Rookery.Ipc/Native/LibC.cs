using System.Runtime.InteropServices;

namespace Rookery.Ipc.Native;

/// <summary>
/// The few libc calls the libqb server needs and .NET does not offer: mmap for the shared rings, glibc's
/// process-shared POSIX semaphores (they live inside the ring header, libqb's clients wait on them), chown,
/// mkdtemp, poll and an eventfd to wake the IPC thread. x86-64/aarch64 Linux constants.
/// </summary>
internal static unsafe partial class LibC
{
    public const int ProtRead = 1;
    public const int ProtWrite = 2;
    public const int ProtNone = 0;
    public const int MapShared = 0x01;
    public const int MapPrivate = 0x02;
    public const int MapFixed = 0x10;
    public const int MapAnonymous = 0x20;
    public const short PollIn = 0x001;
    public const short PollOut = 0x004;
    public const short PollErr = 0x008;
    public const short PollHup = 0x010;
    public const short PollNval = 0x020;
    public const int EfdNonblock = 0x800;
    public const int EfdCloexec = 0x80000;
    public const int EIntr = 4;
    public const int EAgain = 11;
    public const int EAccess = 13;
    public const int ENoMemory = 12;
    public static readonly IntPtr MapFailed = new(-1);

    [StructLayout(LayoutKind.Sequential)]
    public struct PollFd
    {
        public int Fd;
        public short Events;
        public short Revents;
    }

    [LibraryImport("libc", EntryPoint = "mmap", SetLastError = true)]
    public static partial IntPtr Mmap(IntPtr address, nuint length, int protection, int flags, int fd, long offset);

    [LibraryImport("libc", EntryPoint = "munmap", SetLastError = true)]
    public static partial int Munmap(IntPtr address, nuint length);

    [LibraryImport("libc", EntryPoint = "sem_init", SetLastError = true)]
    public static partial int SemInit(IntPtr semaphore, int processShared, uint value);

    [LibraryImport("libc", EntryPoint = "sem_post", SetLastError = true)]
    public static partial int SemPost(IntPtr semaphore);

    [LibraryImport("libc", EntryPoint = "sem_trywait", SetLastError = true)]
    public static partial int SemTryWait(IntPtr semaphore);

    [LibraryImport("libc", EntryPoint = "sem_getvalue", SetLastError = true)]
    public static partial int SemGetValue(IntPtr semaphore, out int value);

    [LibraryImport("libc", EntryPoint = "sem_destroy", SetLastError = true)]
    public static partial int SemDestroy(IntPtr semaphore);

    [LibraryImport("libc", EntryPoint = "chown", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    public static partial int Chown(string path, uint owner, uint group);

    [LibraryImport("libc", EntryPoint = "mkdtemp", SetLastError = true)]
    public static partial IntPtr Mkdtemp(byte* template);

    [LibraryImport("libc", EntryPoint = "poll", SetLastError = true)]
    public static partial int Poll(PollFd* fds, nuint count, int timeoutMilliseconds);

    [LibraryImport("libc", EntryPoint = "eventfd", SetLastError = true)]
    public static partial int EventFd(uint initial, int flags);

    [LibraryImport("libc", EntryPoint = "read", SetLastError = true)]
    public static partial nint Read(int fd, void* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    public static partial nint Write(int fd, void* buffer, nuint count);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "geteuid")]
    public static partial uint GetEuid();

    /// <summary>Creates a directory with a unique name from <paramref name="template"/> (ending in XXXXXX), mode 0700; null on failure.</summary>
    public static string? MakeTemporaryDirectory(string template)
    {
        var bytes = new byte[System.Text.Encoding.UTF8.GetByteCount(template) + 1];
        System.Text.Encoding.UTF8.GetBytes(template, bytes);
        fixed (byte* pointer = bytes)
        {
            if (Mkdtemp(pointer) == IntPtr.Zero)
            {
                return null;
            }
        }

        return System.Text.Encoding.UTF8.GetString(bytes, 0, bytes.Length - 1);
    }
}
