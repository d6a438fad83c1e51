using System.Reflection;
using Microsoft.AspNetCore.Http;

namespace Rookery.Web;

/// <summary>
/// The pages, script and style sheet, embedded in the assembly (<c>Assets/</c>): no build step, no CDN, nothing
/// fetched from outside. Served by name with their content type; anything else is 404.
/// </summary>
internal static class WebAssets
{
    private static readonly Dictionary<string, string> s_contentTypes = new(StringComparer.Ordinal)
    {
        [".html"] = "text/html; charset=utf-8",
        [".js"] = "text/javascript; charset=utf-8",
        [".css"] = "text/css; charset=utf-8",
        [".svg"] = "image/svg+xml",
    };

    /// <summary>The asset names (<c>/index.html</c>, <c>/app.js</c>, …).</summary>
    public static IEnumerable<string> Names =>
        typeof(WebAssets).Assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)).Select(n => "/" + n[Prefix.Length..]);

    private const string Prefix = "Rookery.Web.Assets.";

    public static async Task ServeAsync(HttpContext context, string path, int status = StatusCodes.Status200OK)
    {
        var name = path.TrimStart('/');
        var extension = Path.GetExtension(name);
        var stream = !name.Contains('/', StringComparison.Ordinal) && s_contentTypes.TryGetValue(extension, out var contentType)
            ? typeof(WebAssets).Assembly.GetManifestResourceStream(Prefix + name)
            : null;
        if (stream is null || !s_contentTypes.TryGetValue(extension, out contentType))
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        await using (stream.ConfigureAwait(false))
        {
            context.Response.StatusCode = status;
            context.Response.ContentType = contentType;
            context.Response.Headers.CacheControl = "no-cache";
            context.Response.ContentLength = stream.Length;
            if (!HttpMethods.IsHead(context.Request.Method))
            {
                await stream.CopyToAsync(context.Response.Body, context.RequestAborted).ConfigureAwait(false);
            }
        }
    }
}
