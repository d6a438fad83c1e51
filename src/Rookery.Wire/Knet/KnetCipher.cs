namespace Rookery.Wire.Knet;

/// <summary>knet's symmetric ciphers (corosync <c>totem.crypto_cipher</c>); all are CBC with PKCS#7 padding.</summary>
public enum KnetCipher
{
    /// <summary>No encryption (<c>none</c>).</summary>
    None,

    /// <summary>AES-128-CBC, key = the first 16 authkey bytes (<c>aes128</c>).</summary>
    Aes128,

    /// <summary>AES-192-CBC, key = the first 24 authkey bytes (<c>aes192</c>).</summary>
    Aes192,

    /// <summary>AES-256-CBC, key = the first 32 authkey bytes (<c>aes256</c>).</summary>
    Aes256,
}
