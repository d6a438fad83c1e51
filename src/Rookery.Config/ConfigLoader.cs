using System.Text;
using Rookery.Config.Syntax;

namespace Rookery.Config;

/// <summary>A loaded file: its text and tree (for the editor), the model, and every finding.</summary>
public sealed record LoadResult(ConfigDocument Document, CorosyncConfig Config, IReadOnlyList<Diagnostic> Diagnostics)
{
    public IEnumerable<Diagnostic> Errors => Diagnostics.Where(d => d.IsError);

    public IEnumerable<Diagnostic> Warnings => Diagnostics.Where(d => !d.IsError);

    public bool HasErrors => Diagnostics.Any(d => d.IsError);

    /// <summary>Whether the file could be read and parsed (validation findings aside).</summary>
    public bool Parsed => !Diagnostics.Any(d => d.IsError && d.Stage is DiagnosticStage.Parse or DiagnosticStage.Read);
}

/// <summary>
/// The entry point of the configuration layer: text (or a file) in, model and diagnostics out.
/// Never throws on any content; I/O problems of <see cref="LoadFile"/> become diagnostics too.
/// </summary>
public static class ConfigLoader
{
    /// <summary>Parses and builds the model; only syntax and value-type findings (what corosync's parser reports).</summary>
    public static LoadResult Parse(string text, string fileName)
    {
        var (document, parseDiagnostics) = ConfigParser.Parse(text, fileName);
        var diagnostics = new List<Diagnostic>(parseDiagnostics);
        var config = ModelBuilder.Build(document, diagnostics);
        diagnostics.Sort((a, b) => a.Line.CompareTo(b.Line));
        return new LoadResult(document, config, diagnostics);
    }

    /// <summary>Parses, builds and validates (corosync's and pvecm's rules, see <see cref="ConfigValidator"/>).</summary>
    public static LoadResult Load(string text, string fileName, ValidationOptions? options = null)
    {
        var parsed = Parse(text, fileName);
        if (!parsed.Parsed)
        {
            return parsed;
        }

        var diagnostics = new List<Diagnostic>(parsed.Diagnostics);
        if (options?.Resolve is { } resolve && parsed.Config.Nodes.Any(n => n.RingAddresses.Any(r => HostNames.IsName(r.Address))))
        {
            // What follows sees the addresses the daemon uses, so family and duplicate checks apply to them too.
            var (resolvedText, found) = HostNames.Resolve(parsed, resolve);
            parsed = Parse(resolvedText, fileName);
            diagnostics = [.. parsed.Diagnostics, .. found];
        }

        diagnostics.AddRange(ConfigValidator.Validate(parsed.Config, fileName, options ?? ValidationOptions.Default));
        return parsed with { Diagnostics = diagnostics };
    }

    /// <summary>Reads a file (UTF-8) and loads it; an unreadable path gives one error diagnostic and an empty model.</summary>
    public static LoadResult LoadFile(string path, ValidationOptions? options = null)
    {
        if (ConfigFile.TryReadText(path, out var text, out var error))
        {
            return Load(text, path, options);
        }

        var (document, _) = ConfigParser.Parse(string.Empty, path);
        var empty = ModelBuilder.Build(document, []);
        return new LoadResult(document, empty, [Diagnostic.ReadError(path, error)]);
    }
}

/// <summary>
/// The file edge of the configuration layer: reading a configuration file and replacing one
/// atomically (write FILE.new, flush it to disk, rename over FILE). Everything else here is pure.
/// </summary>
public static class ConfigFile
{
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
