using System.Runtime.CompilerServices;
using System.Text;
using Rookery.Ipc.Native;

namespace Rookery.Ipc;

/// <summary>
/// The server's end of one libqb shared-memory ring buffer (libqb 2.0.6 <c>ringbuffer.c</c>): a header file
/// (<c>qb_ringbuffer_shared_s</c>: write and read pointers in 4-byte words, the word count, both paths, a
/// reference count, a process-shared POSIX semaphore counting unread chunks and one int of user data, the
/// request ring's flow-control flag) and a data file mapped twice back to back so a chunk that wraps is
/// contiguous. A chunk is [length in bytes][magic][data padded to 4 bytes]. The server reads the request ring
/// and writes the response and event rings; only the IPC thread touches a ring, so no lock is needed, only
/// the acquire/release order libqb uses on the magic word.
/// </summary>
internal sealed unsafe class QbRing : IDisposable
{
    /// <summary>sizeof(qb_ringbuffer_shared_s) (8248) plus the int32 of user data libqb asks for.</summary>
    public const int HeaderFileSize = 8252;

    private const int WritePointerOffset = 0;
    private const int ReadPointerOffset = 4;
    private const int WordSizeOffset = 8;
    private const int HeaderPathOffset = 12;
    private const int DataPathOffset = 4108;
    private const int PathMax = 4096;
    private const int ReferenceCountOffset = 8204;
    private const int SemaphoreOffset = 8208;
    private const int UserDataOffset = 8240;

    /// <summary>QB_RB_CHUNK_MARGIN (header words + alignment word, 12 bytes) plus the byte that keeps the pointers apart.</summary>
    private const int ChunkMargin = 12;
    private const uint ChunkMagic = 0xA1A1A1A1;
    private const uint ChunkMagicDead = 0xD0D0D0D0;
    private const uint ChunkMagicAllocating = 0xA110CED0;
    private const int PageSize = 4096;

    private readonly byte* _header;
    private readonly byte* _data;
    private readonly uint _wordSize;
    private readonly nuint _dataSize;
    private readonly string _headerPath;
    private readonly string _dataPath;
    private bool _disposed;

    private QbRing(byte* header, byte* data, uint wordSize, nuint dataSize, string headerPath, string dataPath)
    {
        _header = header;
        _data = data;
        _wordSize = wordSize;
        _dataSize = dataSize;
        _headerPath = headerPath;
        _dataPath = dataPath;
    }

    /// <summary>The largest message one chunk can carry.</summary>
    public int MaxMessageSize { get; private init; }

    /// <summary>The bytes of tmpfs this ring holds (header and data files).</summary>
    public long FileBytes => HeaderFileSize + (long)_dataSize;

    /// <summary>The request ring's flow-control word (libqb's fc): 1 or 2 makes the client's sends return EAGAIN.</summary>
    public int FlowControl
    {
        get => Volatile.Read(ref *(int*)(_header + UserDataOffset));
        set => Volatile.Write(ref *(int*)(_header + UserDataOffset), value);
    }

    /// <summary>
    /// Creates <c>NAME-header</c> and <c>NAME-data</c> (mode 0600, O_EXCL), maps them, initialises the header and
    /// the semaphore, and gives the files to the client's uid/gid when given (corosync chowns every file so a
    /// non-root client such as Pacemaker's can open them).
    /// </summary>
    /// <exception cref="IOException">A file could not be created or mapped; nothing is left behind.</exception>
    public static QbRing Create(string name, int maxMessageSize, uint? ownerUid, uint? ownerGid)
    {
        var headerPath = name + "-header";
        var dataPath = name + "-data";
        var dataSize = (nuint)RoundUp(maxMessageSize + ChunkMargin + 1, PageSize);
        byte* header = null;
        byte* data = null;
        var createdHeader = false;
        var createdData = false;
        try
        {
            header = MapFile(headerPath, HeaderFileSize, out createdHeader);
            new Span<byte>(header, HeaderFileSize).Clear();
            *(uint*)(header + WordSizeOffset) = (uint)(dataSize / 4);
            WritePath(header + HeaderPathOffset, headerPath);
            WritePath(header + DataPathOffset, dataPath);
            if (LibC.SemInit((IntPtr)(header + SemaphoreOffset), 1, 0) != 0)
            {
                throw new IOException($"sem_init on {headerPath} failed (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()})");
            }

            data = MapCircular(dataPath, dataSize, out createdData);
            Volatile.Write(ref *(int*)(header + ReferenceCountOffset), 1);
            if (ownerUid is { } uid && ownerGid is { } gid)
            {
                if (LibC.Chown(dataPath, uid, gid) != 0 || LibC.Chown(headerPath, uid, gid) != 0)
                {
                    throw new IOException($"chown {name}-* to {uid}:{gid} failed (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()})");
                }
            }

            return new QbRing(header, data, (uint)(dataSize / 4), dataSize, headerPath, dataPath) { MaxMessageSize = maxMessageSize };
        }
        catch
        {
            if (data != null)
            {
                LibC.Munmap((IntPtr)data, dataSize * 2);
            }

            if (header != null)
            {
                LibC.Munmap((IntPtr)header, HeaderFileSize);
            }

            if (createdData)
            {
                TryDelete(dataPath);
            }

            if (createdHeader)
            {
                TryDelete(headerPath);
            }

            throw;
        }
    }

    /// <summary>
    /// Takes the oldest chunk off the ring (the request ring: the client wrote it and posted the semaphore).
    /// Returns false when there is none. A chunk whose length does not fit the ring sets
    /// <paramref name="malformed"/>: the caller disconnects the client (decoding never throws).
    /// </summary>
    public bool TryRead(out byte[]? message, out bool malformed)
    {
        message = null;
        malformed = false;
        var readPointer = Volatile.Read(ref *(uint*)(_header + ReadPointerOffset));
        if (readPointer >= _wordSize)
        {
            malformed = true;
            return false;
        }

        if (Magic(readPointer) != ChunkMagic)
        {
            return false;
        }

        // One semaphore count per committed chunk: consume it, as libqb's peek does (sem_trywait).
        _ = LibC.SemTryWait((IntPtr)(_header + SemaphoreOffset));
        var length = Word(readPointer);
        if (length > (uint)MaxMessageSize || length > (_wordSize * 4) - ChunkMargin)
        {
            malformed = true;
            return false;
        }

        var start = _data + ((ulong)((readPointer + 2) % _wordSize) * 4);
        message = new ReadOnlySpan<byte>(start, (int)length).ToArray();

        // Reclaim: clear the header, mark it dead, then move the read pointer (libqb's order).
        Word(readPointer) = 0;
        SetMagic(readPointer, ChunkMagicDead);
        Volatile.Write(ref *(uint*)(_header + ReadPointerOffset), Step(readPointer, length));
        return true;
    }

    /// <summary>
    /// Appends one chunk and posts the semaphore (response and event rings). Returns false when the ring has no
    /// room (the client has not read enough yet); nothing is written then.
    /// </summary>
    public bool TryWrite(ReadOnlySpan<byte> message)
    {
        if (message.Length > MaxMessageSize)
        {
            throw new ArgumentException($"message of {message.Length} bytes exceeds the ring's {MaxMessageSize}", nameof(message));
        }

        if (FreeBytes() < (long)message.Length + ChunkMargin)
        {
            return false;
        }

        var writePointer = Volatile.Read(ref *(uint*)(_header + WritePointerOffset));
        Word(writePointer) = 0;
        SetMagic(writePointer, ChunkMagicAllocating);
        message.CopyTo(new Span<byte>(_data + ((ulong)((writePointer + 2) % _wordSize) * 4), message.Length));
        Word(writePointer) = (uint)message.Length;
        Volatile.Write(ref *(uint*)(_header + WritePointerOffset), Step(writePointer, (uint)message.Length));
        SetMagic(writePointer, ChunkMagic);
        _ = LibC.SemPost((IntPtr)(_header + SemaphoreOffset));
        return true;
    }

    /// <summary>Bytes a new chunk may use, as libqb computes it (a full ring has equal pointers and unread chunks).</summary>
    public long FreeBytes()
    {
        var write = Volatile.Read(ref *(uint*)(_header + WritePointerOffset));
        var read = Volatile.Read(ref *(uint*)(_header + ReadPointerOffset));
        long freeWords;
        if (write > read)
        {
            freeWords = (long)read - write + _wordSize - 1;
        }
        else if (write < read)
        {
            freeWords = (long)read - write - 1;
        }
        else
        {
            _ = LibC.SemGetValue((IntPtr)(_header + SemaphoreOffset), out var unread);
            freeWords = unread > 0 ? 0 : _wordSize;
        }

        return freeWords * 4;
    }

    /// <summary>Unmaps both files and deletes them.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _ = LibC.SemDestroy((IntPtr)(_header + SemaphoreOffset));
        LibC.Munmap((IntPtr)_data, _dataSize * 2);
        LibC.Munmap((IntPtr)_header, HeaderFileSize);
        TryDelete(_dataPath);
        TryDelete(_headerPath);
    }

    private static long RoundUp(long value, long unit) => (value + unit - 1) / unit * unit;

    private ref uint Word(uint index) => ref *(uint*)(_data + ((ulong)index * 4));

    private uint Magic(uint pointer) => Volatile.Read(ref *(uint*)(_data + ((ulong)((pointer + 1) % _wordSize) * 4)));

    private void SetMagic(uint pointer, uint value) => Volatile.Write(ref *(uint*)(_data + ((ulong)((pointer + 1) % _wordSize) * 4)), value);

    /// <summary>The word after a chunk of <paramref name="length"/> bytes (libqb's qb_rb_chunk_step without cache-line alignment).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private uint Step(uint pointer, uint length)
    {
        var next = (ulong)pointer + 2 + (length / 4) + (length % 4 != 0 ? 1u : 0u);
        return (uint)(next > _wordSize - 1 ? next % _wordSize : next);
    }

    private static void WritePath(byte* destination, string path)
    {
        var bytes = Encoding.UTF8.GetBytes(path);
        var length = Math.Min(bytes.Length, PathMax - 1);
        bytes.AsSpan(0, length).CopyTo(new Span<byte>(destination, PathMax));
        destination[length] = 0;
    }

    private static byte* MapFile(string path, long size, out bool created)
    {
        created = false;
        using var stream = Create(path, size);
        created = true;
        var address = LibC.Mmap(IntPtr.Zero, (nuint)size, LibC.ProtRead | LibC.ProtWrite, LibC.MapShared, (int)stream.SafeFileHandle.DangerousGetHandle(), 0);
        if (address == LibC.MapFailed)
        {
            throw new IOException($"mmap {path} failed (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()})");
        }

        return (byte*)address;
    }

    /// <summary>Maps the data file twice, back to back, in one reserved range (libqb's qb_sys_circular_mmap).</summary>
    private static byte* MapCircular(string path, nuint size, out bool created)
    {
        created = false;
        using var stream = Create(path, (long)size);
        created = true;
        var fd = (int)stream.SafeFileHandle.DangerousGetHandle();
        var reserved = LibC.Mmap(IntPtr.Zero, size * 2, LibC.ProtNone, LibC.MapPrivate | LibC.MapAnonymous, -1, 0);
        if (reserved == LibC.MapFailed)
        {
            throw new IOException($"reserving {size * 2} bytes for {path} failed (errno {System.Runtime.InteropServices.Marshal.GetLastPInvokeError()})");
        }

        var first = LibC.Mmap(reserved, size, LibC.ProtRead | LibC.ProtWrite, LibC.MapShared | LibC.MapFixed, fd, 0);
        var second = first == reserved
            ? LibC.Mmap(reserved + (nint)size, size, LibC.ProtRead | LibC.ProtWrite, LibC.MapShared | LibC.MapFixed, fd, 0)
            : LibC.MapFailed;
        if (first != reserved || second != reserved + (nint)size)
        {
            var errno = System.Runtime.InteropServices.Marshal.GetLastPInvokeError();
            LibC.Munmap(reserved, size * 2);
            throw new IOException($"mapping {path} twice failed (errno {errno})");
        }

        return (byte*)reserved;
    }

    private static FileStream Create(string path, long size)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("libqb shared-memory rings exist only on Linux");
        }

        var stream = new FileStream(path, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.ReadWrite,
            Share = FileShare.ReadWrite,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            PreallocationSize = size,
        });
        try
        {
            // Preallocated (posix_fallocate) so a full /dev/shm fails here and not as SIGBUS in a client.
            stream.SetLength(size);
            return stream;
        }
        catch
        {
            stream.Dispose();
            TryDelete(path);
            throw;
        }
    }

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // Nothing more to do: stale-file clean-up at the next start removes it.
        }
    }
}
