using System.Buffers.Binary;

namespace Rookery.Node.Shell;

/// <summary>
/// The node's state directory: <c>ringid_&lt;nodeid&gt;</c> (the ring sequence, 8 bytes in host order, as corosync
/// keeps it) and <c>ev_tracking</c> (votequorum's highest expected votes, 4 bytes). Written atomically (.new + rename).
/// </summary>
public sealed class StateFiles(string directory, NodeId local)
{
    public string Directory => directory;

    public string RingIdPath => Path.Combine(directory, $"ringid_{local}");

    public string TrackingPath => Path.Combine(directory, "ev_tracking");

    /// <summary>Creates the directory (mode 0700) when missing.</summary>
    public void Ensure()
    {
        if (!System.IO.Directory.Exists(directory) && !OperatingSystem.IsWindows())
        {
            System.IO.Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }

    /// <summary>The stored ring sequence, 0 when there is none (a fresh node) or the file is damaged.</summary>
    /// <summary>The knet sequence lease (<see cref="Links.TxSequenceLease"/>): 2 bytes, little-endian.</summary>
    public string TxSequencePath => Path.Combine(directory, $"knet_txseq_{local}");

    /// <summary>The persisted knet sequence lease, or null when this node never ran with this state directory.</summary>
    public ushort? ReadTxSequence() => ReadFile(TxSequencePath, 2) is { } bytes ? BinaryPrimitives.ReadUInt16LittleEndian(bytes) : null;

    /// <summary>
    /// Persists the knet sequence lease. Not flushed to disk: this runs on the loop thread every 4,096 packets,
    /// and the lease's skip covers numbers a power loss would forget.
    /// </summary>
    public void WriteTxSequence(ushort sequence)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16LittleEndian(bytes, sequence);
        var temporary = TxSequencePath + ".new";
        File.WriteAllBytes(temporary, bytes);
        File.Move(temporary, TxSequencePath, overwrite: true);
    }

    public ulong ReadRingSequence() => ReadFile(RingIdPath, 8) is { } bytes ? BinaryPrimitives.ReadUInt64LittleEndian(bytes) : 0;

    public void WriteRingSequence(ulong sequence)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, sequence);
        Config.ConfigFile.WriteAtomic(RingIdPath, bytes, UnixFileMode.UserRead | UnixFileMode.UserWrite, overwrite: true);
    }

    public uint ReadTrackingBarrier() => ReadFile(TrackingPath, 4) is { } bytes ? BinaryPrimitives.ReadUInt32LittleEndian(bytes) : 0;

    public void WriteTrackingBarrier(uint barrier)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(bytes, barrier);
        Config.ConfigFile.WriteAtomic(TrackingPath, bytes, UnixFileMode.UserRead | UnixFileMode.UserWrite, overwrite: true);
    }

    private static byte[]? ReadFile(string path, int length)
    {
        try
        {
            var bytes = File.ReadAllBytes(path);
            return bytes.Length == length ? bytes : null;
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
