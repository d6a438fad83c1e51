using System.Text;

namespace Rookery.Config;

/// <summary>
/// The file edge of the configuration layer: reading and loading a configuration file and replacing one
/// atomically (write FILE.new, flush it to disk, rename over FILE). The layer itself (Rookery.Config) is pure;
/// this assembly belongs to the shell (the daemon and the command).
/// </summary>
public static class ConfigFile
{
    /// <summary>Reads a file (UTF-8) and loads it; an unreadable path gives one error diagnostic and an empty model.</summary>
    public static LoadResult Load(string path, ValidationOptions? options = null)
    {
        if (TryReadText(path, out var text, out var error))
        {
            return ConfigLoader.Load(text, path, options);
        }

        return ConfigLoader.Parse(string.Empty, path) with { Diagnostics = [Diagnostic.ReadError(path, error)] };
    }

    /// <summary>Reads a whole file as UTF-8; on failure <paramref name="error"/> says why in corosync's words ("Can't read file …").</summary>
    public static bool TryReadText(string path, out string text, out string error)
    {
        text = string.Empty;
        error = string.Empty;
        try
        {
            if (Directory.Exists(path))
            {
                error = $"Can't read file {path}: Is a directory";
                return false;
            }

            text = Encoding.UTF8.GetString(File.ReadAllBytes(path));
            return true;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            error = $"Can't read file {path}: {Reason(e)}";
            return false;
        }
    }

    /// <summary>
    /// Replaces <paramref name="path"/> with <paramref name="text"/> atomically: the bytes go to
    /// <c>path.new</c> (created with <paramref name="mode"/>), are flushed to disk, then renamed over
    /// the target; a failure removes <c>path.new</c> and leaves the target as it was.
    /// </summary>
    public static void WriteAtomic(string path, string text, UnixFileMode mode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead)
    {
        WriteAtomic(path, Encoding.UTF8.GetBytes(text), mode, overwrite: true);
    }

    public static void WriteAtomic(string path, byte[] bytes, UnixFileMode mode, bool overwrite)
    {
        var temporary = path + ".new";
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = mode;
            }

            using (var stream = new FileStream(temporary, options))
            {
                stream.Write(bytes);
                stream.Flush(flushToDisk: true);
            }

            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(temporary, mode);
            }

            File.Move(temporary, path, overwrite);
        }
        catch
        {
            TryDelete(temporary);
            throw;
        }
    }

    /// <summary>A short reason for an I/O failure, in the words of strerror where one fits.</summary>
    public static string Reason(Exception e) => e switch
    {
        FileNotFoundException or DirectoryNotFoundException => "No such file or directory",
        UnauthorizedAccessException => "Permission denied",
        PathTooLongException => "File name too long",
        _ => e.Message,
    };

    private static void TryDelete(string path)
    {
        try
        {
            File.Delete(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // The original error is the one worth reporting.
        }
    }
}
