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
/// Never throws on any content. Pure: reading the file is <c>ConfigFile.Load</c>'s job (Rookery.Config.Files, the shell).
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
}
