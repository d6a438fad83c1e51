using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.Logging;

namespace Rookery.Web;

/// <summary>
/// <c>rookery daemon --web ADDR:PORT</c>: the web interface over HTTPS with the node's certificate. Every path but
/// <c>/login</c> needs a session, which <c>/login?token=TOKEN</c> opens (a token of <c>rookery web token</c>); a page
/// without one is redirected to the log-in, anything else is 401. <c>/metrics</c> is served here too, to a session or
/// to <c>Authorization: Bearer TOKEN</c>. The pages are static files embedded in the binary (<see cref="WebAssets"/>);
/// they read the node through <c>/api/…</c> and follow it through server-sent events (<see cref="WebEventStream"/>).
/// </summary>
public sealed partial class WebServer : IAsyncDisposable
{
    /// <summary>The documented port of the web interface (<c>--web ADDR</c> without a port is refused: write it).</summary>
    public const int DefaultPort = Rookery.Config.Defaults.WebPort;

    /// <summary>POSTs must carry this header: a page of another site cannot add it without CORS, which is never granted.</summary>
    public const string RequestHeader = "X-Rookery";

    /// <summary>Bodies of POST requests (a corosync.conf is at most 1 MiB, as the parser's limit).</summary>
    public const int RequestBodyBytesMax = 1024 * 1024 + 4096;

    private readonly WebApplication _app;
    private readonly MetricsEndpoint? _metrics;
    private readonly WebOptions _options;
    private readonly WebSessions _sessions;

    private WebServer(WebApplication app, WebOptions options, MetricsEndpoint? metrics)
    {
        _app = app;
        _options = options;
        _metrics = metrics;
        _sessions = new WebSessions(options.Time);
    }

    /// <summary>Where it listens (the port is the one the system chose when asked for port 0).</summary>
    public required IPEndPoint EndPoint { get; init; }

    /// <summary>The address of the interface, e.g. <c>https://127.0.0.1:8405/</c>.</summary>
    public string Url => $"https://{Listening.Format(EndPoint)}/";

    /// <summary>Starts listening; <see cref="IOException"/> with the address in the message when it cannot bind.</summary>
    public static async Task<WebServer> StartAsync(WebOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        var metrics = options.Node is null ? null : new MetricsEndpoint(options.Node);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = RequestBodyBytesMax;
            kestrel.Listen(options.EndPoint, listen => listen.UseHttps(new HttpsConnectionAdapterOptions { ServerCertificate = options.Certificate }));
        });
        var app = builder.Build();
        WebServer? server = null;
        app.Run(context => server!.DispatchAsync(context));
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is IOException or SocketException)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            metrics?.Dispose();
            throw new IOException($"cannot serve the web interface on {Listening.Format(options.EndPoint)}: {Listening.Reason(exception)}", exception);
        }

        server = new WebServer(app, options, metrics) { EndPoint = Listening.BoundEndPoint(app, options.EndPoint) };
        return server;
    }

    /// <summary>Stops listening; disposes the certificate it was given.</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _metrics?.Dispose();
        _options.Certificate.Dispose();
    }

    /// <summary>
    /// <c>--web ADDR[:PORT]</c>: an IP address, IPv6 in brackets, with a port or without one (<see cref="DefaultPort"/>);
    /// null with the reason when it is not one.
    /// </summary>
    public static IPEndPoint? ParseEndPoint(string text, out string? problem)
    {
        ArgumentNullException.ThrowIfNull(text);
        var bare = text.StartsWith('[') && text.EndsWith(']') ? text[1..^1] : text;
        if (!bare.Contains(':', StringComparison.Ordinal) || (text.StartsWith('[') && text.EndsWith(']')))
        {
            if (IPAddress.TryParse(bare, out var address))
            {
                problem = null;
                return new IPEndPoint(address, DefaultPort);
            }
        }
        else if (!text.StartsWith('[') && IPAddress.TryParse(text, out var v6) && v6.AddressFamily == AddressFamily.InterNetworkV6)
        {
            problem = null;
            return new IPEndPoint(v6, DefaultPort);
        }

        var endPoint = Listening.ParseEndPoint(text, out problem);
        if (endPoint is null)
        {
            problem = $"'{text}' is not ADDRESS[:PORT] (an IP address, IPv6 in brackets, and a port 0-65535; {DefaultPort} when left out)";
        }

        return endPoint;
    }

    private async Task DispatchAsync(HttpContext context)
    {
        var request = context.Request;
        var response = context.Response;
        response.Headers["X-Content-Type-Options"] = "nosniff";
        response.Headers["Referrer-Policy"] = "no-referrer";
        response.Headers["X-Frame-Options"] = "DENY";
        response.Headers["Content-Security-Policy"] =
            "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'";
        var path = request.Path.Value ?? "/";
        if (path == "/login")
        {
            await LoginAsync(context).ConfigureAwait(false);
            return;
        }

        if (path == "/app.css")
        {
            // The log-in page's style sheet: nothing about the cluster is in it.
            await WebAssets.ServeAsync(context, path).ConfigureAwait(false);
            return;
        }

        if (path == "/metrics" && _metrics is not null && BearerToken(request) is { } bearer)
        {
            if (_options.Tokens.IsValid(bearer))
            {
                await _metrics.ServeAsync(context).ConfigureAwait(false);
            }
            else
            {
                response.StatusCode = StatusCodes.Status401Unauthorized;
            }

            return;
        }

        if (!_sessions.IsOpen(request.Cookies[WebSessions.CookieName]))
        {
            await RefuseAsync(context, path).ConfigureAwait(false);
            return;
        }

        if (HttpMethods.IsPost(request.Method) && request.Headers[RequestHeader] != "1")
        {
            response.StatusCode = StatusCodes.Status403Forbidden;
            await response.WriteAsync($"POST requests need the header {RequestHeader}: 1\n", context.RequestAborted).ConfigureAwait(false);
            return;
        }

        if (path == "/metrics" && _metrics is not null)
        {
            await _metrics.ServeAsync(context).ConfigureAwait(false);
        }
        else if (path == "/logout" && HttpMethods.IsPost(request.Method))
        {
            _sessions.Close(request.Cookies[WebSessions.CookieName]);
            response.Cookies.Delete(WebSessions.CookieName);
            response.StatusCode = StatusCodes.Status204NoContent;
        }
        else if (path.StartsWith("/api/", StringComparison.Ordinal))
        {
            response.Headers.CacheControl = "no-store";
            await ServeApiAsync(context, path).ConfigureAwait(false);
        }
        else
        {
            await WebAssets.ServeAsync(context, path == "/" ? "/index.html" : path).ConfigureAwait(false);
        }
    }

    /// <summary><c>/login?token=TOKEN</c>: a valid token opens a session and redirects to the cluster page; otherwise the log-in page (401 after a wrong token).</summary>
    private async Task LoginAsync(HttpContext context)
    {
        var token = context.Request.Query["token"].ToString();
        if (token.Length == 0)
        {
            await WebAssets.ServeAsync(context, "/login.html").ConfigureAwait(false);
            return;
        }

        if (!_options.Tokens.IsValid(token))
        {
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            await WebAssets.ServeAsync(context, "/login.html", StatusCodes.Status401Unauthorized).ConfigureAwait(false);
            return;
        }

        context.Response.Cookies.Append(WebSessions.CookieName, _sessions.Open(), new CookieOptions
        {
            Secure = true,
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Path = "/",
            MaxAge = WebSessions.Lifetime,
        });
        context.Response.Redirect("/#cluster");
    }

    /// <summary>No session: a browser asking for a page goes to the log-in, anything else gets 401 and nothing more.</summary>
    private static Task RefuseAsync(HttpContext context, string path)
    {
        var wantsPage = HttpMethods.IsGet(context.Request.Method) && (path == "/" || path.EndsWith(".html", StringComparison.Ordinal));
        if (wantsPage)
        {
            context.Response.Redirect("/login");
            return Task.CompletedTask;
        }

        context.Response.StatusCode = StatusCodes.Status401Unauthorized;
        context.Response.Headers.WWWAuthenticate = "Bearer realm=\"rookery\"";
        return Task.CompletedTask;
    }

    private static string? BearerToken(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith("Bearer ", StringComparison.Ordinal) ? header["Bearer ".Length..].Trim() : null;
    }
}
