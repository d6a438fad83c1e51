namespace Rookery.Wire.Knet;

/// <summary>Result of opening a crypto envelope. Every failure means "drop and count".</summary>
public enum KnetCryptoStatus
{
    /// <summary>Authenticated and decrypted.</summary>
    Ok,

    /// <summary>Too short to hold salt, one cipher block and the tag (a clear-text packet lands here).</summary>
    TooShort,

    /// <summary>Longer than knet accepts (<c>len − hash &gt; 65536</c>).</summary>
    TooLong,

    /// <summary>The HMAC does not match: wrong key, wrong hash or a modified datagram.</summary>
    BadDigest,

    /// <summary>The ciphertext is not a whole number of cipher blocks.</summary>
    BadLength,

    /// <summary>The PKCS#7 padding is invalid after decryption.</summary>
    BadPadding,

    /// <summary>The destination buffer is smaller than the ciphertext (a caller error).</summary>
    DestinationTooSmall,
}
