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

    private readonly Aes? _aes;
    private readonly IncrementalHash? _hmac;

    private KnetCrypto(KnetCipher cipher, KnetHash hash, Aes? aes, IncrementalHash? hmac)
    {
        Cipher = cipher;
        Hash = hash;
        _aes = aes;
        _hmac = hmac;
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
            bodyLength = SaltSize + _aes.EncryptCbc(plaintext, salt[..SaltSize], destination[SaltSize..], PaddingMode.PKCS7);
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
        var length = _aes.DecryptCbc(ciphertext, datagram[..SaltSize], plaintext, PaddingMode.None);
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

        _aes?.Dispose();
        _hmac?.Dispose();
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
