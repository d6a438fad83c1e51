namespace Rookery.Wire.Knet;

/// <summary>knet's HMAC hashes (corosync <c>totem.crypto_hash</c>); the key is the whole authkey.</summary>
public enum KnetHash
{
    /// <summary>No authentication (<c>none</c>).</summary>
    None,

    /// <summary>HMAC-MD5, 16-byte tag (<c>md5</c>).</summary>
    Md5,

    /// <summary>HMAC-SHA1, 20-byte tag (<c>sha1</c>).</summary>
    Sha1,

    /// <summary>HMAC-SHA256, 32-byte tag (<c>sha256</c>).</summary>
    Sha256,

    /// <summary>HMAC-SHA384, 48-byte tag (<c>sha384</c>).</summary>
    Sha384,

    /// <summary>HMAC-SHA512, 64-byte tag (<c>sha512</c>).</summary>
    Sha512,
}
