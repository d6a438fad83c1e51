using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Rookery.Control;

namespace Rookery.Web;

/// <summary>
/// <c>rookery daemon --metrics ADDR:PORT</c>: <c>GET /metrics</c> in the Prometheus text format over plain HTTP, with no
/// log-in (bind it to loopback or a management network). Anything else is 404; a method other than GET or HEAD is 405.
/// </summary>
public sealed class MetricsServer : IAsyncDisposable
{
    /// <summary>The path Prometheus scrapes.</summary>
    public const string MetricsPath = "/metrics";

    private readonly WebApplication _app;
    private readonly NodeMetrics _metrics;
    private readonly PrometheusText _text;

    private MetricsServer(WebApplication app, NodeMetrics metrics, PrometheusText text)
    {
        _app = app;
        _metrics = metrics;
        _text = text;
    }

    /// <summary>Where it listens (the port is the one the system chose when asked for port 0).</summary>
    public required IPEndPoint EndPoint { get; init; }

    /// <summary>The address to scrape, e.g. <c>http://127.0.0.1:9405/metrics</c>.</summary>
    public string Url => $"http://{Format(EndPoint)}{MetricsPath}";

    /// <summary>Starts listening; <see cref="IOException"/> with the address in the message when it cannot bind.</summary>
    public static async Task<MetricsServer> StartAsync(IPEndPoint endPoint, INodeControl node, CancellationToken cancellationToken)
    {
        var snapshot = new StatusSnapshot(node);
        var metrics = new NodeMetrics(snapshot);
        var text = new PrometheusText(metrics.Meter);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(endPoint);
        });
        var app = builder.Build();
        app.Run(context => Serve(context, snapshot, text));
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is IOException or SocketException)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            text.Dispose();
            metrics.Dispose();
            throw new IOException($"cannot serve metrics on {Format(endPoint)}: {Reason(exception)}", exception);
        }

        return new MetricsServer(app, metrics, text) { EndPoint = BoundEndPoint(app, endPoint) };
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _text.Dispose();
        _metrics.Dispose();
    }

    /// <summary>
    /// ADDR:PORT or [ADDR6]:PORT as an admin writes it after <c>--metrics</c> (port 0: any free port, which the log
    /// names); null with the reason when it is not one.
    /// </summary>
    public static IPEndPoint? ParseEndPoint(string text, out string? problem)
    {
        problem = null;
        // IPEndPoint.TryParse takes a bare address too (port 0): insist on the port an admin must write.
        var hasPort = text.StartsWith('[')
            ? text.Contains("]:", StringComparison.Ordinal) && !text.EndsWith(':')
            : text.Count(c => c == ':') == 1 && !text.EndsWith(':');
        if (hasPort && IPEndPoint.TryParse(text, out var endPoint))
        {
            return endPoint;
        }

        problem = $"'{text}' is not ADDRESS:PORT (an IP address and a port 0-65535, IPv6 in brackets: [::1]:9405)";
        return null;
    }

    private static async Task Serve(HttpContext context, StatusSnapshot snapshot, PrometheusText text)
    {
        if (context.Request.Path != MetricsPath)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            context.Response.Headers.Allow = "GET, HEAD";
            return;
        }

        try
        {
            await snapshot.RefreshAsync(context.RequestAborted).ConfigureAwait(false);
        }
        catch (NodeControlException exception)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            await context.Response.WriteAsync($"the node did not answer: {exception.Message}\n", context.RequestAborted).ConfigureAwait(false);
            return;
        }

        context.Response.ContentType = PrometheusText.ContentType;
        await context.Response.WriteAsync(text.Write(), context.RequestAborted).ConfigureAwait(false);
    }

    private static IPEndPoint BoundEndPoint(WebApplication app, IPEndPoint requested)
    {
        if (requested.Port != 0)
        {
            return requested;
        }

        var address = app.Urls.FirstOrDefault();
        return address is not null && Uri.TryCreate(address, UriKind.Absolute, out var uri) ? new IPEndPoint(requested.Address, uri.Port) : requested;
    }

    private static string Format(IPEndPoint endPoint) =>
        endPoint.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{endPoint.Address}]:{endPoint.Port}" : $"{endPoint.Address}:{endPoint.Port}";

    /// <summary>Kestrel wraps the socket's error (AddressInUseException, SocketException): the admin's words for it.</summary>
    private static string Reason(Exception exception)
    {
        for (var cause = exception; cause is not null; cause = cause.InnerException)
        {
            switch (cause)
            {
                case Microsoft.AspNetCore.Connections.AddressInUseException:
                case SocketException { SocketErrorCode: SocketError.AddressAlreadyInUse }:
                    return "the address is already in use";
                case SocketException { SocketErrorCode: SocketError.AddressNotAvailable }:
                    return "no interface of this host has that address";
                case SocketException { SocketErrorCode: SocketError.AccessDenied }:
                    return "permission denied";
            }
        }

        return exception.Message;
    }
}
