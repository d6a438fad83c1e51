using System.Net;
using System.Security.Cryptography.X509Certificates;
using Rookery.Control;

namespace Rookery.Web;

/// <summary>How <see cref="WebServer"/> is started.</summary>
public sealed class WebOptions
{
    /// <summary>Where it listens (<c>--web ADDR:PORT</c>; default port <see cref="WebServer.DefaultPort"/>).</summary>
    public required IPEndPoint EndPoint { get; init; }

    /// <summary>The TLS certificate with its key: the node's (<c>rookery/node.crt</c>, <c>node.key</c>).</summary>
    public required X509Certificate2 Certificate { get; init; }

    /// <summary>The log-in tokens (<c>rookery web token</c>).</summary>
    public required WebTokens Tokens { get; init; }

    /// <summary>The running node; null when this machine is in no cluster yet (then only Create and Join are served).</summary>
    public INodeControl? Node { get; init; }

    /// <summary>This node's corosync.conf (the Config page shows it and diffs against it).</summary>
    public string? ConfigPath { get; init; }

    /// <summary>Join information, create and join (null: those pages say they are not available).</summary>
    public IClusterSetup? Setup { get; init; }

    /// <summary>Session expiry; the system's clock unless a test passes its own.</summary>
    public TimeProvider Time { get; init; } = TimeProvider.System;
}
