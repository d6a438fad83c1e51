namespace Rookery.Ipc;

/// <summary>
/// One corosync service served over libqb IPC (cmap, cfg, cpg, quorum, votequorum). Every method runs on the node
/// loop thread, one at a time, in the order the client's messages arrived.
/// </summary>
public interface IIpcService
{
    /// <summary>The abstract socket name and the ring file suffix (<c>cmap</c>, <c>quorum</c>, ...).</summary>
    string Name { get; }

    /// <summary>A client connected (corosync's lib_init_fn).</summary>
    void OnConnect(IpcClient client);

    /// <summary>
    /// One request (header included). The service answers with <see cref="IpcClient.Respond"/> now or later, or not at
    /// all where corosync does not (cpg mcast). It never throws on bad input: it answers with an error.
    /// </summary>
    void OnRequest(IpcClient client, byte[] request);

    /// <summary>The client went away (corosync's lib_exit_fn): drop its trackers, leave its groups.</summary>
    void OnDisconnect(IpcClient client);
}
