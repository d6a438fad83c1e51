namespace Rookery.Node.Shell;

/// <summary>The node cannot start: the message says what to fix; the exit code follows corosync's (8 = configuration).</summary>
public sealed class NodeStartException(string message, int exitCode) : Exception(message)
{
    /// <summary>corosync's <c>COROSYNC_DONE_MAINCONFIGREAD</c>: the configuration is not usable.</summary>
    public const int ConfigurationExitCode = 8;

    /// <summary>corosync's <c>COROSYNC_DONE_SERVICE_ENGINE_INIT</c>: a service refused its configuration (e.g. votequorum).</summary>
    public const int ServiceInitExitCode = 13;

    /// <summary>corosync's <c>COROSYNC_DONE_STORE_RINGID</c>: the state directory is not usable.</summary>
    public const int StateDirectoryExitCode = 21;

    /// <summary>Any other startup failure (a link cannot be bound, the control socket is taken).</summary>
    public const int GeneralExitCode = 1;

    public int ExitCode { get; } = exitCode;
}
