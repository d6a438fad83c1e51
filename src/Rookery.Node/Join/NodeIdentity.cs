using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;

namespace Rookery.Node.Join;

/// <summary>
/// Rookery's own per-node files, beside corosync.conf but outside it (corosync.conf stays valid for real corosync):
/// <c>rookery/node.crt</c> and <c>rookery/node.key</c> (a self-signed ECDSA P-256 certificate for the join
/// endpoint, key mode 0600) and <c>rookery/join-secret</c> (the cluster's join secret, mode 0600; every member
/// holds the same one, handed over at join). Created by <c>rookery create</c> and <c>rookery join</c>, and by the
/// daemon when missing.
/// </summary>
public sealed class NodeIdentity
{
    /// <summary>The directory of Rookery's own files, inside the configuration directory.</summary>
    public const string DirectoryName = "rookery";

    /// <summary>How long a node certificate is valid (the fingerprint, not a CA, is what a joining node checks).</summary>
    public static readonly TimeSpan CertificateLifetime = TimeSpan.FromDays(3650);

    /// <summary>Random bytes of a join secret (printed as 32 hex digits).</summary>
    public const int SecretBytes = 16;

    private NodeIdentity(string directory) => Directory = directory;

    public string Directory { get; }

    public string CertificatePath => Path.Combine(Directory, "node.crt");

    public string KeyPath => Path.Combine(Directory, "node.key");

    public string SecretPath => Path.Combine(Directory, "join-secret");

    /// <summary>The identity files of the node whose corosync.conf is <paramref name="configPath"/>.</summary>
    public static NodeIdentity For(string configPath) =>
        new(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(configPath)) ?? ".", DirectoryName));

    /// <summary>Creates the certificate (for <paramref name="nodeName"/>) and, when none is given or present, a join secret; keeps what exists.</summary>
    public void Ensure(string nodeName, string? secret = null)
    {
        EnsureCertificate(nodeName);
        if (secret is not null)
        {
            Write(SecretPath, secret + "\n", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        else if (!File.Exists(SecretPath))
        {
            Write(SecretPath, NewSecret() + "\n", UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
    }

    /// <summary>
    /// Creates the certificate (for <paramref name="nodeName"/>) when there is none, and nothing else: the web interface
    /// of a machine in no cluster yet needs it before create or join (which keep it).
    /// </summary>
    public void EnsureCertificate(string nodeName)
    {
        System.IO.Directory.CreateDirectory(Directory);
        if (!File.Exists(CertificatePath) || !File.Exists(KeyPath))
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest($"CN={nodeName}, O=Rookery", key, HashAlgorithmName.SHA256);
            var now = DateTimeOffset.UtcNow;
            using var certificate = request.CreateSelfSigned(now.AddDays(-1), now + CertificateLifetime);
            Write(KeyPath, key.ExportPkcs8PrivateKeyPem(), UnixFileMode.UserRead | UnixFileMode.UserWrite);
            Write(CertificatePath, certificate.ExportCertificatePem(), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);
        }
    }

    /// <summary>The certificate with its private key (for the TLS server).</summary>
    public X509Certificate2 LoadCertificate()
    {
        using var pem = X509Certificate2.CreateFromPemFile(CertificatePath, KeyPath);

        // SslStream on Linux wants a key it can use for the handshake: a PKCS#12 round trip gives one.
        return X509CertificateLoader.LoadPkcs12(pem.Export(X509ContentType.Pkcs12), null);
    }

    public string ReadSecret() => File.ReadAllText(SecretPath).Trim();

    /// <summary>The SHA-256 fingerprint of this node's certificate, as pvecm prints it (<c>AA:BB:…</c>, 32 pairs).</summary>
    public string Fingerprint()
    {
        using var certificate = X509Certificate2.CreateFromPem(File.ReadAllText(CertificatePath));
        return Fingerprint(certificate);
    }

    public static string Fingerprint(X509Certificate certificate) =>
        string.Join(':', Convert.ToHexString(SHA256.HashData(certificate.GetRawCertData())).Chunk(2).Select(pair => new string(pair)));

    /// <summary>Whether two fingerprints are the same, whatever their case and separators.</summary>
    public static bool SameFingerprint(string a, string b) =>
        Normalize(a) is { Length: 64 } x && CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(x), Encoding.ASCII.GetBytes(Normalize(b)));

    /// <summary>A fingerprint as pvecm accepts it: 32 hex pairs separated by colons.</summary>
    public static bool IsFingerprint(string text) => Normalize(text).Length == 64 && text.Replace(":", "", StringComparison.Ordinal).Length == 64;

    public static string NewSecret() => Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(SecretBytes));

    private static string Normalize(string fingerprint) =>
        new([.. fingerprint.Where(Uri.IsHexDigit).Select(char.ToUpperInvariant)]);

    private static void Write(string path, string text, UnixFileMode mode)
    {
        var temporary = path + ".new";
        File.WriteAllText(temporary, text);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temporary, mode);
        }

        File.Move(temporary, path, overwrite: true);
    }
}
