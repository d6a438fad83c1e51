using Rookery.Ipc.Services;

namespace Rookery.Ipc;

/// <summary>
/// The corosync client API of one node: the five services over one libqb server, and the calls the node makes when
/// its state changes (on the loop thread). Dispose stops the server and removes every ring from /dev/shm.
/// </summary>
public sealed class CorosyncServices : IDisposable
{
    private readonly QbIpcServer _server;

    /// <summary>The five services over one server; <c>laggardDropped</c> is called after a client was dropped for outrunning a bound.</summary>
    public CorosyncServices(ICorosyncNode node, Action<Action> postToLoop, Action<IpcLogLevel, string> log, string shmDirectory = QbIpcServer.ShmDirectory, Action? laggardDropped = null)
    {
        var access = new IpcAccess();
        Cmap = new CmapService(node, access);
        Quorum = new QuorumService(node);
        Votequorum = new VotequorumService(node);
        Cfg = new CfgService(node);
        Cpg = new CpgService(node);
        _server = new QbIpcServer([Cmap, Cfg, Cpg, Quorum, Votequorum], postToLoop, access, log, shmDirectory, laggardDropped);
    }

    public CmapService Cmap { get; }

    public QuorumService Quorum { get; }

    public VotequorumService Votequorum { get; }

    public CfgService Cfg { get; }

    public CpgService Cpg { get; }

    public int ConnectionCount => _server.ConnectionCount;

    /// <summary>Binds the service sockets; throws IOException when a name is taken in this network namespace.</summary>
    public void Start() => _server.Start();

    /// <summary>Quorum or expected votes changed (votequorum reported).</summary>
    public void OnQuorumChanged()
    {
        Cmap.RefreshRuntime();
        Quorum.OnQuorumChanged();
        Votequorum.OnQuorumChanged();
    }

    /// <summary>votequorum's sync turn in a new ring: its node list for the votequorum trackers.</summary>
    public void OnQuorumNodelist(Quorum.QuorumNodelistNotification nodelist) => Votequorum.OnNodelist(nodelist);

    /// <summary>A sync finished in a (new) ring.</summary>
    public void OnSyncCompleted()
    {
        Cmap.RefreshRuntime();
        Quorum.OnSyncCompleted();
    }

    /// <summary>A groups-core callback for local connections (deliver, confchg, totem confchg).</summary>
    public void OnGroupEvent(Groups.GroupsEvent groupEvent) => Cpg.OnGroupEvent(groupEvent);

    /// <summary>Once per node loop turn: cpg messages waiting for room in Totem's send queue.</summary>
    public void OnLoopTurn()
    {
        Cpg.OnLoopTurn();
        Votequorum.OnLoopTurn();
        Cfg.OnLoopTurn();
    }

    /// <summary>The configuration was reloaded.</summary>
    public void OnConfigReloaded() => Cmap.ReloadConfig();

    public void Dispose() => _server.Dispose();
}
