using System.Globalization;

namespace Rookery.Node.Shell;

/// <summary>
/// Which configuration file each running daemon of this machine uses and where its control socket is:
/// one file per daemon, <c>/run/rookery/daemons/PID</c>, two lines (config path, socket path). It lets
/// <c>rookery config check FILE</c> ask the daemon that runs FILE, whatever socket it was given. Best effort:
/// a directory that cannot be written (not root) means no entry, never a failure.
/// </summary>
public static class DaemonRegistry
{
    public const string DefaultDirectory = "/run/rookery/daemons";

    /// <summary>Records this process; dispose to remove the entry. Null when it cannot be written.</summary>
    public static IDisposable? Register(string configPath, string socketPath, string directory = DefaultDirectory)
    {
        try
        {
            Directory.CreateDirectory(directory);
            foreach (var stale in Directory.EnumerateFiles(directory).Where(e => !Directory.Exists(Path.Combine("/proc", Path.GetFileName(e)))))
            {
                // Left by a daemon that was killed (SIGKILL skips the removal).
                File.Delete(stale);
            }

            var entry = Path.Combine(directory, Environment.ProcessId.ToString(CultureInfo.InvariantCulture));
            File.WriteAllText(entry, $"{Path.GetFullPath(configPath)}\n{Path.GetFullPath(socketPath)}\n");
            return new Entry(entry);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The socket of a live daemon that runs <paramref name="configPath"/>, or null.</summary>
    public static string? SocketFor(string configPath, string directory = DefaultDirectory)
    {
        var wanted = Path.GetFullPath(configPath);
        try
        {
            foreach (var entry in Directory.EnumerateFiles(directory).Order(StringComparer.Ordinal))
            {
                var lines = File.ReadAllLines(entry);
                if (lines.Length >= 2 && lines[0] == wanted && Directory.Exists(Path.Combine("/proc", Path.GetFileName(entry))))
                {
                    return lines[1];
                }
            }
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            // No registry (or an entry removed under us): nothing to find.
        }

        return null;
    }

    private sealed class Entry(string path) : IDisposable
    {
        public void Dispose()
        {
            try
            {
                File.Delete(path);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
            {
                // Already gone or /run read-only: the stale entry names a dead pid, which readers skip.
            }
        }
    }
}
