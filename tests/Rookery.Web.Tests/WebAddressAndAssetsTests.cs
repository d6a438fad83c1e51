using System.Text.RegularExpressions;
using Rookery.Web;

namespace Rookery.Web.Tests;

/// <summary>
/// Goal: <c>--web</c> takes ADDRESS[:PORT] (port 8405 when left out) and says why anything else is refused; the pages
/// are embedded, reference only each other, and load nothing from outside (no CDN, no inline script the CSP would block).
/// </summary>
public sealed partial class WebAddressAndAssetsTests
{
    [Theory]
    [InlineData("127.0.0.1:9000", "127.0.0.1", 9000)]
    [InlineData("127.0.0.1", "127.0.0.1", WebServer.DefaultPort)]
    [InlineData("0.0.0.0:0", "0.0.0.0", 0)]
    [InlineData("[::1]:8443", "::1", 8443)]
    [InlineData("[::1]", "::1", WebServer.DefaultPort)]
    [InlineData("::", "::", WebServer.DefaultPort)]
    public void Addresses_are_taken_with_or_without_a_port(string text, string address, int port)
    {
        var endPoint = WebServer.ParseEndPoint(text, out var problem);

        Assert.Null(problem);
        Assert.NotNull(endPoint);
        Assert.Equal(address, endPoint.Address.ToString());
        Assert.Equal(port, endPoint.Port);
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData("localhost:8405")]
    [InlineData("127.0.0.1:")]
    [InlineData("127.0.0.1:70000")]
    [InlineData("")]
    public void Anything_else_is_refused_with_the_form_expected(string text)
    {
        Assert.Null(WebServer.ParseEndPoint(text, out var problem));
        Assert.Equal($"'{text}' is not ADDRESS[:PORT] (an IP address, IPv6 in brackets, and a port 0-65535; 8405 when left out)", problem);
    }

    [Fact]
    public void The_pages_are_embedded_and_load_nothing_from_outside()
    {
        var names = WebAssets.Names.ToHashSet(StringComparer.Ordinal);
        Assert.Superset(new HashSet<string>(["/index.html", "/login.html", "/app.js", "/app.css"], StringComparer.Ordinal), names);
        foreach (var name in names)
        {
            using var stream = typeof(WebServer).Assembly.GetManifestResourceStream("Rookery.Web.Assets." + name.TrimStart('/'))!;
            var text = new StreamReader(stream).ReadToEnd();
            Assert.DoesNotMatch(External(), text);
            foreach (Match reference in LocalReference().Matches(text))
            {
                Assert.Contains(reference.Groups[1].Value, names);
            }

            if (name.EndsWith(".html", StringComparison.Ordinal))
            {
                // The Content-Security-Policy allows scripts from the server only: no inline script, no handler attributes.
                Assert.DoesNotMatch(InlineScript(), text);
            }
        }
    }

    [GeneratedRegex(@"(src|href)\s*=\s*""(https?:)?//", RegexOptions.IgnoreCase)]
    private static partial Regex External();

    [GeneratedRegex(@"(?:src|href)=""(/[a-z]+\.(?:js|css|html))""")]
    private static partial Regex LocalReference();

    [GeneratedRegex(@"<script>|<script\s+type|\son[a-z]+\s*=", RegexOptions.IgnoreCase)]
    private static partial Regex InlineScript();
}
