using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Rookery.Wire.Knet;

/// <summary>
/// knet's crypto envelope for one (cipher, hash, key) configuration, byte-compatible with libknet's
/// nss and openssl models (knet-spec §5, confirmed on captured traffic in wire-vectors.md §3):
/// <code>
/// cipher + hash:  [salt = CBC IV, 16][AES-CBC(key = authkey[0..k), IV, PKCS#7(P))][HMAC(authkey, salt ‖ ciphertext)]
/// hash only:      [P][HMAC(authkey, P)]
/// none/none:      [P]
/// </code>
/// where P is the whole knet packet, header included. The HMAC key is the entire authkey (HMAC hashes
/// keys longer than its block size); the tag is never truncated. No key derivation, no key id.
/// </summary>
/// <remarks>
/// Not thread-safe: one instance per thread or per core. Opening never throws on untrusted input.
/// The cipher contexts are made once per key: .NET's one-shot <c>EncryptCbc</c>/<c>DecryptCbc</c> build an OpenSSL
/// context per call, which cost more than the AES of a ping or a token. So CBC runs on one AES-ECB context per
/// direction: opening decrypts every block in one call and XORs each with the previous ciphertext block (CBC
/// decryption is parallel); sealing a short packet chains the blocks through the same context one block at a time,
/// and a long one (over <see cref="ChainedSealBlocksMax"/> blocks), where the per-call set-up is small beside the AES,
/// takes the one-shot call.
/// </remarks>
public sealed class KnetCrypto : IDisposable
{
    /// <summary>Salt (IV) size with a cipher (<c>SALT_SIZE</c>).</summary>
    public const int SaltSizeWithCipher = 16;

    /// <summary>AES block size.</summary>
    public const int CipherBlockSize = 16;

    /// <summary>Shortest authkey knet accepts (<c>KNET_MIN_KEY_LEN</c>).</summary>
    public const int KeySizeMin = 128;

    /// <summary>Longest authkey knet accepts (<c>KNET_MAX_KEY_LEN</c>).</summary>
    public const int KeySizeMax = 4096;

    /// <summary>
    /// Blocks up to which sealing chains blocks through the kept ECB context (128 bytes: pings, pongs, tokens, joins,
    /// the idle traffic); above it one call per block costs more than the one-shot call's set-up (DataPathBenchmarks).
    /// </summary>
    public const int ChainedSealBlocksMax = 8;

    private readonly Aes? _aes;
    private readonly IncrementalHash? _hmac;
    private readonly ICryptoTransform? _ecbEncrypt;
    private readonly ICryptoTransform? _ecbDecrypt;
    private readonly byte[] _block = new byte[CipherBlockSize];
    private readonly byte[] _blockOut = new byte[CipherBlockSize];
    private byte[] _scratchIn = [];
    private byte[] _scratchOut = [];

    private KnetCrypto(KnetCipher cipher, KnetHash hash, Aes? aes, IncrementalHash? hmac)
    {
        Cipher = cipher;
        Hash = hash;
        _aes = aes;
        _hmac = hmac;
        if (aes is not null)
        {
            // ECB without padding: no state between calls, so one context per direction serves every datagram.
            _ecbEncrypt = aes.CreateEncryptor(aes.Key, null);
            _ecbDecrypt = aes.CreateDecryptor(aes.Key, null);
        }

        SaltSize = cipher == KnetCipher.None ? 0 : SaltSizeWithCipher;
        BlockSize = cipher == KnetCipher.None ? 0 : CipherBlockSize;
        HashSize = TagSize(hash);
    }

    /// <summary>A configuration that sends and accepts clear text (secauth off).</summary>
    public static KnetCrypto Clear { get; } = new(KnetCipher.None, KnetHash.None, null, null);

    /// <summary>The cipher.</summary>
    public KnetCipher Cipher { get; }

    /// <summary>The HMAC hash.</summary>
    public KnetHash Hash { get; }

    /// <summary>Salt bytes per datagram (16 with a cipher, else 0).</summary>
    public int SaltSize { get; }

    /// <summary>Cipher block size (16 with a cipher, else 0).</summary>
    public int BlockSize { get; }

    /// <summary>Tag bytes per datagram.</summary>
    public int HashSize { get; }

    /// <summary>True for none/none: datagrams are the plaintext packets.</summary>
    public bool IsClear => Cipher == KnetCipher.None && Hash == KnetHash.None;

    /// <summary>
    /// Builds a configuration. Throws <see cref="ArgumentException"/> for a configuration knet refuses
    /// (a cipher without a hash, a key outside 128..4096 bytes): these are operator errors found at
    /// configuration time, never on the data path.
    /// </summary>
    public static KnetCrypto Create(KnetCipher cipher, KnetHash hash, ReadOnlySpan<byte> key)
    {
        if (cipher == KnetCipher.None && hash == KnetHash.None)
        {
            return Clear;
        }

        if (cipher != KnetCipher.None && hash == KnetHash.None)
        {
            throw new ArgumentException("crypto_cipher requires crypto_hash (knet: crypto communication requires hash specified)", nameof(hash));
        }

        if (key.Length is < KeySizeMin or > KeySizeMax)
        {
            throw new ArgumentException($"the authkey must be {KeySizeMin}..{KeySizeMax} bytes long, got {key.Length}", nameof(key));
        }

        Aes? aes = null;
        if (cipher != KnetCipher.None)
        {
            aes = Aes.Create();
            aes.Key = key[..CipherKeySize(cipher)].ToArray();
            aes.Mode = CipherMode.ECB;
            aes.Padding = PaddingMode.None;
        }

        var hmac = IncrementalHash.CreateHMAC(HashName(hash), key);
        return new KnetCrypto(cipher, hash, aes, hmac);
    }

    /// <summary>Parses a corosync <c>crypto_cipher</c> value.</summary>
    public static bool TryParseCipher(string name, out KnetCipher cipher)
    {
        cipher = name switch
        {
            "none" => KnetCipher.None,
            "aes128" => KnetCipher.Aes128,
            "aes192" => KnetCipher.Aes192,
            "aes256" => KnetCipher.Aes256,
            _ => (KnetCipher)(-1),
        };
        return Enum.IsDefined(cipher);
    }

    /// <summary>Parses a corosync <c>crypto_hash</c> value.</summary>
    public static bool TryParseHash(string name, out KnetHash hash)
    {
        hash = name switch
        {
            "none" => KnetHash.None,
            "md5" => KnetHash.Md5,
            "sha1" => KnetHash.Sha1,
            "sha256" => KnetHash.Sha256,
            "sha384" => KnetHash.Sha384,
            "sha512" => KnetHash.Sha512,
            _ => (KnetHash)(-1),
        };
        return Enum.IsDefined(hash);
    }

    /// <summary>Datagram length for a plaintext packet of <paramref name="plaintextLength"/> bytes (knet <c>calc_data_outlen</c>).</summary>
    public int SealedLength(int plaintextLength)
    {
        var length = plaintextLength;
        if (BlockSize > 0)
        {
            length += BlockSize - plaintextLength % BlockSize;
        }

        return length + SaltSize + HashSize;
    }

    /// <summary>
    /// Application bytes per DATA fragment that fit in <paramref name="onWireBudget"/> UDP payload bytes
    /// (knet <c>calc_max_data_outlen</c>: it subtracts the 26-byte union header, not the 14-byte data header,
    /// so sizes match libknet's exactly).
    /// </summary>
    public int MaxDataLength(int onWireBudget)
    {
        var budget = onWireBudget;
        if (BlockSize > 0)
        {
            var inner = budget - SaltSize - HashSize;
            inner = inner - inner % BlockSize - 1;
            budget = inner + SaltSize + HashSize;
        }

        return budget - KnetFrame.HeaderAllSize - SaltSize - HashSize;
    }

    /// <summary>
    /// Seals <paramref name="plaintext"/> into <paramref name="destination"/> (at least
    /// <see cref="SealedLength"/> bytes) and returns the datagram length. <paramref name="salt"/> must be
    /// <see cref="SaltSize"/> fresh random bytes (ignored without a cipher).
    /// </summary>
    public int Seal(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> salt, Span<byte> destination)
    {
        var length = SealedLength(plaintext.Length);
        Invariant.Require(destination.Length >= length);
        Invariant.Require(salt.Length >= SaltSize);
        int bodyLength;
        if (_aes is not null)
        {
            salt[..SaltSize].CopyTo(destination);
            var padded = length - SaltSize - HashSize;
            bodyLength = SaltSize + (padded / CipherBlockSize <= ChainedSealBlocksMax
                ? SealChained(plaintext, salt[..SaltSize], destination.Slice(SaltSize, padded))
                : _aes.EncryptCbc(plaintext, salt[..SaltSize], destination[SaltSize..], PaddingMode.PKCS7));
        }
        else
        {
            plaintext.CopyTo(destination);
            bodyLength = plaintext.Length;
        }

        if (_hmac is not null)
        {
            _hmac.AppendData(destination[..bodyLength]);
            _hmac.GetHashAndReset(destination.Slice(bodyLength, HashSize));
        }

        Invariant.Require(bodyLength + HashSize == length);
        return length;
    }

    /// <summary>
    /// Authenticates and decrypts a datagram into <paramref name="plaintext"/>, which must hold at least
    /// <c>datagram.Length</c> bytes. Never throws on untrusted bytes.
    /// </summary>
    /// <param name="datagram">Untrusted bytes: they crossed the network.</param>
    /// <param name="plaintext">Receives the knet packet (and scratch bytes past <paramref name="written"/>).</param>
    /// <param name="written">Length of the knet packet when the status is <see cref="KnetCryptoStatus.Ok"/>.</param>
    public KnetCryptoStatus TryOpen(ReadOnlySpan<byte> datagram, Span<byte> plaintext, out int written)
    {
        written = 0;
        var bodyLength = datagram.Length - HashSize;
        if (bodyLength <= SaltSize)
        {
            return KnetCryptoStatus.TooShort;
        }

        if (bodyLength > KnetFrame.MessageSizeMax)
        {
            return KnetCryptoStatus.TooLong;
        }

        if (plaintext.Length < bodyLength)
        {
            return KnetCryptoStatus.DestinationTooSmall;
        }

        if (_hmac is not null)
        {
            Span<byte> tag = stackalloc byte[64];
            _hmac.AppendData(datagram[..bodyLength]);
            var tagLength = _hmac.GetHashAndReset(tag);
            if (!CryptographicOperations.FixedTimeEquals(tag[..tagLength], datagram[bodyLength..]))
            {
                return KnetCryptoStatus.BadDigest;
            }
        }

        if (_aes is null)
        {
            datagram[..bodyLength].CopyTo(plaintext);
            written = bodyLength;
            return KnetCryptoStatus.Ok;
        }

        var ciphertext = datagram[SaltSize..bodyLength];
        if (ciphertext.Length % BlockSize != 0)
        {
            return KnetCryptoStatus.BadLength;
        }

        // Padding is checked by hand so that a bad pad is a status, not a CryptographicException.
        var length = OpenChained(ciphertext, datagram[..SaltSize], plaintext);
        var pad = plaintext[length - 1];
        if (pad is 0 or > CipherBlockSize)
        {
            return KnetCryptoStatus.BadPadding;
        }

        for (var index = length - pad; index < length; index++)
        {
            if (plaintext[index] != pad)
            {
                return KnetCryptoStatus.BadPadding;
            }
        }

        written = length - pad;
        return KnetCryptoStatus.Ok;
    }

    /// <inheritdoc />
    public void Dispose()
    {
        if (ReferenceEquals(this, Clear))
        {
            return;
        }

        _ecbEncrypt?.Dispose();
        _ecbDecrypt?.Dispose();
        _aes?.Dispose();
        _hmac?.Dispose();
    }

    /// <summary>AES-CBC with PKCS#7 of <paramref name="plaintext"/> into <paramref name="destination"/> (the padded length), block by block through the kept ECB context.</summary>
    private int SealChained(ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> iv, Span<byte> destination)
    {
        var blocks = destination.Length / CipherBlockSize;
        var pad = (byte)(destination.Length - plaintext.Length);
        ReadOnlySpan<byte> previous = iv;
        for (var index = 0; index < blocks; index++)
        {
            var start = index * CipherBlockSize;
            var block = _block.AsSpan();
            var available = Math.Clamp(plaintext.Length - start, 0, CipherBlockSize);
            plaintext.Slice(start, available).CopyTo(block);
            block[available..].Fill(pad);
            Xor(block, previous);
            _ecbEncrypt!.TransformBlock(_block, 0, CipherBlockSize, _blockOut, 0);
            var output = destination.Slice(start, CipherBlockSize);
            _blockOut.CopyTo(output);
            previous = output;
        }

        return destination.Length;
    }

    /// <summary>AES-CBC decryption of whole blocks (no padding removed): every block in one ECB call, then each XORed with the block before it.</summary>
    private int OpenChained(ReadOnlySpan<byte> ciphertext, ReadOnlySpan<byte> iv, Span<byte> plaintext)
    {
        var length = ciphertext.Length;
        if (_scratchIn.Length < length)
        {
            _scratchIn = new byte[length];
            _scratchOut = new byte[length];
        }

        ciphertext.CopyTo(_scratchIn);
        var decrypted = _ecbDecrypt!.TransformBlock(_scratchIn, 0, length, _scratchOut, 0);
        Invariant.Require(decrypted == length);
        var output = plaintext[..length];
        _scratchOut.AsSpan(0, length).CopyTo(output);
        Xor(output[..CipherBlockSize], iv);
        Xor(output[CipherBlockSize..], ciphertext[..(length - CipherBlockSize)]);
        return length;
    }

    /// <summary><paramref name="target"/> ^= <paramref name="other"/> (same length, a multiple of 8).</summary>
    private static void Xor(Span<byte> target, ReadOnlySpan<byte> other)
    {
        var words = MemoryMarshal.Cast<byte, ulong>(target);
        var with = MemoryMarshal.Cast<byte, ulong>(other[..target.Length]);
        for (var index = 0; index < words.Length; index++)
        {
            words[index] ^= with[index];
        }
    }

    private static int CipherKeySize(KnetCipher cipher) => cipher switch
    {
        KnetCipher.Aes128 => 16,
        KnetCipher.Aes192 => 24,
        KnetCipher.Aes256 => 32,
        _ => throw new ArgumentOutOfRangeException(nameof(cipher)),
    };

    private static int TagSize(KnetHash hash) => hash switch
    {
        KnetHash.None => 0,
        KnetHash.Md5 => 16,
        KnetHash.Sha1 => 20,
        KnetHash.Sha256 => 32,
        KnetHash.Sha384 => 48,
        KnetHash.Sha512 => 64,
        _ => throw new ArgumentOutOfRangeException(nameof(hash)),
    };

    private static HashAlgorithmName HashName(KnetHash hash) => hash switch
    {
        KnetHash.Md5 => HashAlgorithmName.MD5,
        KnetHash.Sha1 => HashAlgorithmName.SHA1,
        KnetHash.Sha256 => HashAlgorithmName.SHA256,
        KnetHash.Sha384 => HashAlgorithmName.SHA384,
        KnetHash.Sha512 => HashAlgorithmName.SHA512,
        _ => throw new ArgumentOutOfRangeException(nameof(hash)),
    };
}
