using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Rookery.Control;

namespace Rookery.Web;

/// <summary>
/// <c>GET /api/events</c>: server-sent events for the pages, fed by the node's cluster event stream
/// (<see cref="INodeControl.WatchEventsAsync"/>). Each cluster event goes out at once as <c>event: cluster</c>, followed
/// by a fresh <c>event: status</c> (cluster, quorum, members and every link); between events a status goes out every
/// <see cref="StatusInterval"/> for the latency history. The page never polls: it only listens.
/// </summary>
internal static class WebEventStream
{
    /// <summary>How often the links' latencies and counters are sent when nothing happens.</summary>
    public static readonly TimeSpan StatusInterval = TimeSpan.FromSeconds(1);

    /// <summary>How long the browser waits before it reconnects a broken stream (the SSE <c>retry</c> field).</summary>
    public const int ReconnectMs = 1000;

    public static async Task ServeAsync(HttpContext context, INodeControl node)
    {
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-store";
        response.Headers["X-Accel-Buffering"] = "no";
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted);
        var cancel = stop.Token;
        using var writing = new SemaphoreSlim(1, 1);

        async Task SendAsync(string type, string data)
        {
            await writing.WaitAsync(cancel).ConfigureAwait(false);
            try
            {
                await response.WriteAsync($"event: {type}\ndata: {data}\n\n", cancel).ConfigureAwait(false);
                await response.Body.FlushAsync(cancel).ConfigureAwait(false);
            }
            finally
            {
                writing.Release();
            }
        }

        async Task SendStatusAsync()
        {
            var status = await node.GetStatusAsync(cancel).ConfigureAwait(false);
            await SendAsync("status", JsonSerializer.Serialize(status, ControlJsonContext.Default.ClusterStatus)).ConfigureAwait(false);
        }

        async Task PumpAsync(System.Threading.Channels.ChannelReader<ClusterEvent> events)
        {
            await foreach (var clusterEvent in events.ReadAllAsync(cancel).ConfigureAwait(false))
            {
                await SendAsync("cluster", JsonSerializer.Serialize(clusterEvent, ControlJsonContext.Default.ClusterEvent)).ConfigureAwait(false);

                // The initial events describe the state the first status already showed.
                if (clusterEvent.Initial != true)
                {
                    await SendStatusAsync().ConfigureAwait(false);
                }
            }
        }

        async Task TickAsync()
        {
            using var timer = new PeriodicTimer(StatusInterval);
            while (await timer.WaitForNextTickAsync(cancel).ConfigureAwait(false))
            {
                await SendStatusAsync().ConfigureAwait(false);
            }
        }

        try
        {
            await response.WriteAsync($"retry: {ReconnectMs}\n\n", cancel).ConfigureAwait(false);
            var events = await node.WatchEventsAsync(cancel).ConfigureAwait(false);
            await SendStatusAsync().ConfigureAwait(false);
            var pump = PumpAsync(events);
            var tick = TickAsync();
            await Task.WhenAny(pump, tick).ConfigureAwait(false);
            await stop.CancelAsync().ConfigureAwait(false);
            await Task.WhenAll(pump, tick).ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is OperationCanceledException or NodeControlException or IOException)
        {
            // The browser went away, or the node stopped or dropped a slow subscriber: the browser reconnects.
        }
    }
}
