namespace Rookery.Node;

/// <summary>Default files and their overrides (architecture.md §4).</summary>
public static class NodePaths
{
    /// <summary>The cluster configuration (<c>--config FILE</c>).</summary>
    public const string DefaultConfigFile = "/etc/rookery/corosync.conf";

    /// <summary>Where the ring sequence is kept per node id (<c>--state-dir</c>, <c>system.state_dir</c>).</summary>
    public const string DefaultStateDirectory = "/var/lib/rookery";

    /// <summary>The control socket (<c>--socket PATH</c>, env <c>ROOKERY_SOCKET</c>).</summary>
    public const string DefaultSocket = "/run/rookery/rookery.sock";

    /// <summary>Environment variable that overrides <see cref="DefaultSocket"/>.</summary>
    public const string SocketEnvironmentVariable = "ROOKERY_SOCKET";

    /// <summary>The socket to use: the explicit one, else <c>ROOKERY_SOCKET</c>, else the default.</summary>
    public static string Socket(string? explicitPath) =>
        !string.IsNullOrEmpty(explicitPath) ? explicitPath
        : Environment.GetEnvironmentVariable(SocketEnvironmentVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment
        : DefaultSocket;
}
