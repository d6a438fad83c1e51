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
    private readonly MetricsEndpoint _endpoint;

    private MetricsServer(WebApplication app, MetricsEndpoint endpoint)
    {
        _app = app;
        _endpoint = endpoint;
    }

    /// <summary>Where it listens (the port is the one the system chose when asked for port 0).</summary>
    public required IPEndPoint EndPoint { get; init; }

    /// <summary>The address to scrape, e.g. <c>http://127.0.0.1:9405/metrics</c>.</summary>
    public string Url => $"http://{Listening.Format(EndPoint)}{MetricsPath}";

    /// <summary>Starts listening; <see cref="IOException"/> with the address in the message when it cannot bind.</summary>
    public static async Task<MetricsServer> StartAsync(IPEndPoint endPoint, INodeControl node, CancellationToken cancellationToken)
    {
        var endpoint = new MetricsEndpoint(node);
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(endPoint);
        });
        var app = builder.Build();
        app.Run(context =>
        {
            if (context.Request.Path != MetricsPath)
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            }

            return endpoint.ServeAsync(context);
        });
        try
        {
            await app.StartAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is IOException or SocketException)
        {
            await app.DisposeAsync().ConfigureAwait(false);
            endpoint.Dispose();
            throw new IOException($"cannot serve metrics on {Listening.Format(endPoint)}: {Listening.Reason(exception)}", exception);
        }

        return new MetricsServer(app, endpoint) { EndPoint = Listening.BoundEndPoint(app, endPoint) };
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _endpoint.Dispose();
    }

    /// <summary>
    /// ADDR:PORT or [ADDR6]:PORT as an admin writes it after <c>--metrics</c> or <c>--web</c> (port 0: any free port,
    /// which the log names); null with the reason when it is not one.
    /// </summary>
    public static IPEndPoint? ParseEndPoint(string text, out string? problem) => Listening.ParseEndPoint(text, out problem);
}
