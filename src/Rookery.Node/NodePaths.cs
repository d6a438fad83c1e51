namespace Rookery.Node;

/// <summary>Default files of the daemon and their overrides (architecture.md §4); the control socket's are in <see cref="Rookery.Control.ControlSocket"/>.</summary>
public static class NodePaths
{
    /// <summary>The cluster configuration (<c>--config FILE</c>).</summary>
    public const string DefaultConfigFile = "/etc/rookery/corosync.conf";

    /// <summary>Where the ring sequence is kept per node id (<c>--state-dir</c>, <c>system.state_dir</c>).</summary>
    public const string DefaultStateDirectory = "/var/lib/rookery";
}
