using System.Collections.Concurrent;

namespace Rookery.Ipc;

/// <summary>
/// corosync's rule for who may connect (cs_ipcs_connection_accept): effective uid 0 or gid 0, or a cmap key
/// <c>uidgid.uid.UID</c>, <c>uidgid.gid.GID</c>, <c>uidgid.config.uid.UID</c> or <c>uidgid.config.gid.GID</c>
/// set to 1 (from <c>uidgid {}</c> sections or set at run time, as Pacemaker sets <c>uidgid.gid.haclient</c>).
/// Read by the IPC thread, written by the cmap service on the loop.
/// </summary>
public sealed class IpcAccess
{
    private readonly ConcurrentDictionary<string, byte> _keys = new(StringComparer.Ordinal);

    public bool Allows(uint uid, uint gid) =>
        uid == 0 || gid == 0
        || Is($"uidgid.uid.{uid}") || Is($"uidgid.config.uid.{uid}")
        || Is($"uidgid.gid.{gid}") || Is($"uidgid.config.gid.{gid}");

    /// <summary>Whether a cmap key is one of the access keys.</summary>
    public static bool IsAccessKey(string key) => key.StartsWith("uidgid.", StringComparison.Ordinal);

    /// <summary>A uidgid key was set (value as uint8) or deleted (null).</summary>
    public void Update(string key, byte? value)
    {
        if (value is { } set)
        {
            _keys[key] = set;
        }
        else
        {
            _keys.TryRemove(key, out _);
        }
    }

    private bool Is(string key) => _keys.TryGetValue(key, out var value) && value == 1;
}
