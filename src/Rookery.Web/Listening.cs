using System.Net;
using System.Net.Sockets;
using Microsoft.AspNetCore.Builder;

namespace Rookery.Web;

/// <summary>
/// What the metrics server and the web interface share about their listening address: the ADDR:PORT an admin writes,
/// the port the system chose for port 0, and the admin's words for a bind that failed.
/// </summary>
internal static class Listening
{
    /// <summary>ADDR:PORT or [ADDR6]:PORT (port 0: any free port); null with the reason when it is not one.</summary>
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

    /// <summary>The end point Kestrel bound (the port the system chose when asked for port 0).</summary>
    public static IPEndPoint BoundEndPoint(WebApplication app, IPEndPoint requested)
    {
        if (requested.Port != 0)
        {
            return requested;
        }

        var address = app.Urls.FirstOrDefault();
        return address is not null && Uri.TryCreate(address, UriKind.Absolute, out var uri) ? new IPEndPoint(requested.Address, uri.Port) : requested;
    }

    public static string Format(IPEndPoint endPoint) =>
        endPoint.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{endPoint.Address}]:{endPoint.Port}" : $"{endPoint.Address}:{endPoint.Port}";

    /// <summary>Kestrel wraps the socket's error (AddressInUseException, SocketException): the admin's words for it.</summary>
    public static string Reason(Exception exception)
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
