using System.Security.Cryptography;
using System.Text;
using Rookery.Config;

namespace Rookery.Web;

/// <summary>
/// The log-in tokens of the web interface: <c>rookery web token</c> makes one, prints it once and keeps only its SHA-256
/// in <see cref="FileName"/> (mode 0600, one <c>sha256:HEX</c> line per token) beside the node certificate. The server
/// reads the file at each log-in, so a new token works without a restart and deleting a line revokes it.
/// </summary>
public sealed class WebTokens
{
    /// <summary>The file's name inside Rookery's own directory (<c>/etc/rookery/rookery/web-tokens</c>).</summary>
    public const string FileName = "web-tokens";

    /// <summary>Random bytes of a token (printed as 43 base64url characters after <see cref="Prefix"/>).</summary>
    public const int TokenBytes = 32;

    /// <summary>Tokens kept in the file; the oldest goes when a new one would exceed it.</summary>
    public const int TokensMax = 64;

    /// <summary>What every token starts with, so it can be recognised in a shell history or a secret scanner.</summary>
    public const string Prefix = "rkw_";

    private const string HashPrefix = "sha256:";

    public WebTokens(string path) => Path = path;

    /// <summary>The token file.</summary>
    public string Path { get; }

    /// <summary>The token file of the node whose Rookery directory (<c>rookery/</c> beside corosync.conf) is <paramref name="directory"/>.</summary>
    public static WebTokens In(string directory) => new(System.IO.Path.Combine(directory, FileName));

    /// <summary>Makes a token, stores its hash (the file is rewritten atomically, mode 0600) and returns it.</summary>
    public string Create()
    {
        var token = Prefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(TokenBytes)).TrimEnd('=').Replace('+', '-').Replace('/', '_');
        var lines = ReadHashes().Append(HashPrefix + Hash(token)).TakeLast(TokensMax);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(Path))!);
        ConfigFile.WriteAtomic(Path, Encoding.ASCII.GetBytes(string.Concat(lines.Select(line => line + "\n"))), UnixFileMode.UserRead | UnixFileMode.UserWrite, overwrite: true);
        return token;
    }

    /// <summary>Whether <paramref name="token"/> is one of the stored tokens (compared in constant time); false when there is no file.</summary>
    public bool IsValid(string? token)
    {
        if (string.IsNullOrEmpty(token) || token.Length > 256)
        {
            return false;
        }

        var candidate = Encoding.ASCII.GetBytes(HashPrefix + Hash(token));
        var found = false;
        foreach (var line in ReadHashes())
        {
            found |= CryptographicOperations.FixedTimeEquals(candidate, Encoding.ASCII.GetBytes(line));
        }

        return found;
    }

    private IEnumerable<string> ReadHashes()
    {
        string[] lines;
        try
        {
            lines = File.ReadAllLines(Path);
        }
        catch (Exception exception) when (exception is FileNotFoundException or DirectoryNotFoundException)
        {
            return [];
        }

        return lines.Select(line => line.Trim()).Where(line => line.StartsWith(HashPrefix, StringComparison.Ordinal));
    }

    private static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
}
