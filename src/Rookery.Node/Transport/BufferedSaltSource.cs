using System.Security.Cryptography;

namespace Rookery.Node.Transport;

/// <summary>
/// Cryptographic random bytes for the link layer's CBC salts (IVs), drawn from the system generator a block at a
/// time: one OpenSSL RAND_bytes call (and its fork check, a getpid system call) per 256 datagrams of 16-byte salts
/// instead of per datagram. Bytes are handed out once and wiped from the block. Used on the node loop thread only.
/// </summary>
public sealed class BufferedSaltSource
{
    /// <summary>Bytes drawn from the system generator at a time.</summary>
    public const int BlockSize = 4096;

    private readonly byte[] _block = new byte[BlockSize];
    private int _used = BlockSize;

    /// <summary>Fills <paramref name="destination"/> with fresh random bytes (a <see cref="Links.SaltSource"/>).</summary>
    public void Fill(Span<byte> destination)
    {
        if (destination.Length > BlockSize)
        {
            RandomNumberGenerator.Fill(destination);
            return;
        }

        if (BlockSize - _used < destination.Length)
        {
            RandomNumberGenerator.Fill(_block);
            _used = 0;
        }

        var taken = _block.AsSpan(_used, destination.Length);
        taken.CopyTo(destination);
        taken.Clear();
        _used += destination.Length;
    }
}
