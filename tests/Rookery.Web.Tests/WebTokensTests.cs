using Rookery.Web;

namespace Rookery.Web.Tests;

/// <summary>
/// Goal: a web token is printed once and stored only as a hash, in a file only root can read; any stored token logs in,
/// anything else does not; deleting its line revokes it. Method: real files in a temporary directory.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class WebTokensTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("rookery-web-tokens-").FullName;

    [Fact]
    public void A_token_is_stored_hashed_in_a_0600_file_and_is_valid()
    {
        var tokens = WebTokens.In(Path.Combine(_directory, "rookery"));
        var token = tokens.Create();

        Assert.StartsWith(WebTokens.Prefix, token, StringComparison.Ordinal);
        Assert.True(tokens.IsValid(token));
        var stored = File.ReadAllText(tokens.Path);
        Assert.DoesNotContain(token[WebTokens.Prefix.Length..], stored, StringComparison.Ordinal);
        Assert.Matches("^sha256:[0-9a-f]{64}\n$", stored);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(tokens.Path));
    }

    [Fact]
    public void Other_strings_are_refused_and_a_deleted_line_revokes_its_token()
    {
        var tokens = WebTokens.In(_directory);
        Assert.False(tokens.IsValid("anything"));
        var first = tokens.Create();
        var second = tokens.Create();

        Assert.True(tokens.IsValid(first));
        Assert.True(tokens.IsValid(second));
        Assert.False(tokens.IsValid(first + "x"));
        Assert.False(tokens.IsValid(""));
        Assert.False(tokens.IsValid(null));
        Assert.False(tokens.IsValid(new string('a', 10_000)));

        File.WriteAllLines(tokens.Path, File.ReadAllLines(tokens.Path).Skip(1));
        Assert.False(tokens.IsValid(first));
        Assert.True(tokens.IsValid(second));
    }

    [Fact]
    public void The_file_keeps_the_newest_tokens_only()
    {
        var tokens = WebTokens.In(_directory);
        var oldest = tokens.Create();
        for (var i = 0; i < WebTokens.TokensMax; i++)
        {
            tokens.Create();
        }

        Assert.Equal(WebTokens.TokensMax, File.ReadAllLines(tokens.Path).Length);
        Assert.False(tokens.IsValid(oldest));
    }

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
