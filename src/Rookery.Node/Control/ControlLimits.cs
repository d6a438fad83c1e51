using System.Globalization;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Rookery.Config;
using Rookery.Control;

namespace Rookery.Node.Control;

/// <summary>
/// The server-side bounds of the control socket (docs/hostile-input.md): what one client may cost the
/// daemon in memory and time, and how an administrator still gets in when every ordinary slot is taken.
/// </summary>
public static class ControlLimits
{
    /// <summary>
    /// Bytes queued for one connection (replies and group events, as serialized) before the client is
    /// disconnected as too slow: 32 MiB, about 22 messages of the largest size (1 MiB, base64 in JSON).
    /// </summary>
    public const int ConnectionBacklogBytesMax = 32 * 1024 * 1024;

    /// <summary>
    /// Connections beyond <see cref="ControlProtocol.ClientsMax"/> served for read-only commands
    /// (hello, status, links) only, so <c>rookery status</c> works when every ordinary slot is taken.
    /// </summary>
    public const int ReservedClientsMax = 8;

    /// <summary>How long a connection may take to complete its first request (every request, on a reserved connection).</summary>
    public static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How long a refused connection is kept open to read the client's request, so that it reads the refusal rather than EPIPE.</summary>
    public static readonly TimeSpan RefusalLinger = TimeSpan.FromSeconds(2);
}

/// <summary>A connected client's credentials (SO_PEERCRED: the kernel's, not the client's word).</summary>
public readonly record struct PeerCredentials(int Pid, uint Uid, uint Gid)
{
    /// <summary>The credentials of a connected Unix socket's peer, or null when the platform has none.</summary>
    public static PeerCredentials? Of(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        if (!OperatingSystem.IsLinux())
        {
            return null;
        }

        // struct ucred { pid_t pid; uid_t uid; gid_t gid; } at SOL_SOCKET (1), SO_PEERCRED (17).
        Span<byte> credentials = stackalloc byte[12];
        try
        {
            if (socket.GetRawSocketOption(1, 17, credentials) != credentials.Length)
            {
                return null;
            }
        }
        catch (SocketException)
        {
            return null;
        }

        return new PeerCredentials(
            BitConverter.ToInt32(credentials[..4]), BitConverter.ToUInt32(credentials[4..8]), BitConverter.ToUInt32(credentials[8..12]));
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"pid {Pid}, uid {Uid}, gid {Gid}");
}

/// <summary>
/// Who may use the control socket: root, the daemon's own user, and the users and groups of corosync.conf's
/// <c>uidgid {}</c> sections (corosync's rule for its IPC). Checked with SO_PEERCRED on every connection;
/// the socket file's mode is a second fence, not the only one.
/// </summary>
public sealed class ControlAccess
{
    private readonly HashSet<uint> _uids;
    private readonly HashSet<uint> _gids;

    public ControlAccess(IEnumerable<uint> uids, IEnumerable<uint> gids)
    {
        _uids = [0, EffectiveUid(), .. uids];
        _gids = [.. gids];
    }

    /// <summary>Root and the daemon's own user only.</summary>
    public static ControlAccess OwnerOnly { get; } = new([], []);

    /// <summary>Whether users other than root and the daemon's own may connect (the socket file is then made world-connectable).</summary>
    public bool AllowsOthers => _gids.Count > 0 || _uids.Any(uid => uid != 0 && uid != EffectiveUid());

    /// <summary>Root, the daemon's user and corosync.conf's <c>uidgid.uid</c> / <c>uidgid.gid</c> (names or numbers).</summary>
    public static ControlAccess From(CorosyncConfig config, List<string> problems)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(problems);
        var uids = new List<uint>();
        var gids = new List<uint>();
        foreach (var (key, value) in config.Section("uidgid")?.Keys ?? KeyValues.Empty)
        {
            var (list, database) = key switch
            {
                "uid" => (uids, "/etc/passwd"),
                "gid" => (gids, "/etc/group"),
                _ => (null, string.Empty),
            };
            if (list is null)
            {
                continue;
            }

            if (uint.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || TryLookUp(database, value, out id))
            {
                list.Add(id);
            }
            else
            {
                problems.Add($"uidgid.{key}: '{value}' is not a number nor a name in {database}; ignored for the control socket");
            }
        }

        return new ControlAccess(uids, gids);
    }

    public bool Allows(PeerCredentials peer) => _uids.Contains(peer.Uid) || _gids.Contains(peer.Gid);

    /// <summary>The user id the daemon runs as.</summary>
    public static uint EffectiveUid() => OperatingSystem.IsLinux() ? GetEffectiveUid() : 0;

    private static bool TryLookUp(string database, string name, out uint id)
    {
        id = 0;
        try
        {
            foreach (var line in File.ReadLines(database))
            {
                var fields = line.Split(':');
                if (fields.Length > 2 && fields[0] == name)
                {
                    return uint.TryParse(fields[2], NumberStyles.None, CultureInfo.InvariantCulture, out id);
                }
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // An unreadable database resolves nothing; the caller reports the name.
        }

        return false;
    }

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEffectiveUid();
}
