using Microsoft.AspNetCore.Http;
using Rookery.Control;

namespace Rookery.Web;

/// <summary>
/// <c>GET /metrics</c> of one node: its status snapshot, the instruments read from it and their Prometheus text. Served
/// alone by <see cref="MetricsServer"/> and behind the log-in by <see cref="WebServer"/>.
/// </summary>
internal sealed class MetricsEndpoint : IDisposable
{
    private readonly StatusSnapshot _snapshot;
    private readonly NodeMetrics _metrics;
    private readonly PrometheusText _text;

    public MetricsEndpoint(INodeControl node)
    {
        _snapshot = new StatusSnapshot(node);
        _metrics = new NodeMetrics(_snapshot);
        _text = new PrometheusText(_metrics.Meter);
    }

    /// <summary>Answers a request for <see cref="MetricsServer.MetricsPath"/>: 405 for a method other than GET or HEAD, 503 when the node does not answer.</summary>
    public async Task ServeAsync(HttpContext context)
    {
        if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
        {
            context.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            context.Response.Headers.Allow = "GET, HEAD";
            return;
        }

        try
        {
            await _snapshot.RefreshAsync(context.RequestAborted).ConfigureAwait(false);
        }
        catch (NodeControlException exception)
        {
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            await context.Response.WriteAsync($"the node did not answer: {exception.Message}\n", context.RequestAborted).ConfigureAwait(false);
            return;
        }

        context.Response.ContentType = PrometheusText.ContentType;
        await context.Response.WriteAsync(_text.Write(), context.RequestAborted).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _text.Dispose();
        _metrics.Dispose();
    }
}
