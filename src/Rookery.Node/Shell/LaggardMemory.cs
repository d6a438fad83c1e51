namespace Rookery.Node.Shell;

/// <summary>
/// After a client that fell behind was dropped (a control-socket subscriber or a corosync IPC client), its backlog
/// is garbage, tens of MiB in the large-object heap: collect and compact it now, so the daemon's resident size comes
/// back down instead of staying at its peak. The same once the node is in service, for what starting left behind
/// (<see cref="NodeHost"/>). At most once per <see cref="Interval"/> for the whole process (the collector is the
/// process's): a blocking collection is not free. Any thread.
/// </summary>
public static class LaggardMemory
{
    /// <summary>Least time between two such collections.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    private static long _last;

    public static void Return()
    {
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref _last);
        if ((last != 0 && now - last < (long)Interval.TotalMilliseconds) || Interlocked.CompareExchange(ref _last, now, last) != last)
        {
            return;
        }

        GC.Collect(GC.MaxGeneration, GCCollectionMode.Aggressive, blocking: true, compacting: true);
    }
}
