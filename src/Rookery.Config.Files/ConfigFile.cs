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

    /// <summary>
    /// Reads a regular file as UTF-8, at most one byte more than <see cref="Syntax.ConfigParser.TextBytesMax"/>
    /// (so the parser reports a larger file with the line where it passes the limit); on failure
    /// <paramref name="error"/> says why in corosync's words ("Can't read file …").
    /// </summary>
    public static bool TryReadText(string path, out string text, out string error)
    {
        text = string.Empty;
        if (!BoundedFile.TryRead(path, Syntax.ConfigParser.TextBytesMax + 1, out var bytes, out _, out _, out var reason))
        {
            error = $"Can't read file {path}: {reason}";
            return false;
        }

        error = string.Empty;
        text = Encoding.UTF8.GetString(bytes);
        return true;
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
