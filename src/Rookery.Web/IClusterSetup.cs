namespace Rookery.Web;

/// <summary>
/// What the web interface asks of the <c>rookery</c> commands it stands in for: the join information of this node,
/// creating a cluster and joining one. The CLI implements it by running its own <c>join-info</c>, <c>create</c> and
/// <c>join</c> commands, so a form writes exactly what the command writes for the same input.
/// </summary>
public interface IClusterSetup
{
    /// <summary><c>rookery join-info</c>: the copyable string, or why there is none.</summary>
    SetupResult JoinInformation();

    /// <summary><c>rookery create NAME --linkN ADDR,priority=P …</c>.</summary>
    Task<SetupResult> CreateAsync(CreateForm form, CancellationToken cancellationToken);

    /// <summary><c>rookery join --info INFO --linkN ADDR …</c>.</summary>
    Task<SetupResult> JoinAsync(JoinForm form, CancellationToken cancellationToken);
}

/// <summary>One Link row of a form (Proxmox's "Link 0 … Link 7").</summary>
/// <param name="Link">0..7.</param>
/// <param name="Address">The address of this node on the link.</param>
/// <param name="Priority"><c>knet_link_priority</c> (create only).</param>
public sealed record LinkRow(int Link, string Address, int? Priority = null);

/// <summary>The Create cluster dialog.</summary>
/// <param name="ClusterName">The cluster's name.</param>
/// <param name="Links">The Link rows.</param>
/// <param name="NodeName">This node's name (default: the host name).</param>
public sealed record CreateForm(string ClusterName, IReadOnlyList<LinkRow> Links, string? NodeName = null);

/// <summary>The Join cluster dialog.</summary>
/// <param name="Information">What <c>rookery join-info</c> printed on a member.</param>
/// <param name="Links">This node's Link rows.</param>
/// <param name="NodeName">This node's name (default: the host name).</param>
public sealed record JoinForm(string Information, IReadOnlyList<LinkRow> Links, string? NodeName = null);

/// <summary>What a command did: its exit status and its output (stdout then stderr).</summary>
/// <param name="Ok">Exit code 0.</param>
/// <param name="Output">The command's text, as it prints it.</param>
/// <param name="Value">The result itself when there is one (the join information string).</param>
public sealed record SetupResult(bool Ok, string Output, string? Value = null);
