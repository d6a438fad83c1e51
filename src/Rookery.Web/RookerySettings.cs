using System.Net;
using Rookery.Config;

namespace Rookery.Web;

/// <summary>
/// Rookery's own settings file, <c>rookery.conf</c> beside corosync.conf (corosync.conf's syntax; absent: everything
/// off). The daemon's <c>--web</c> and <c>--metrics</c> win over it.
/// <code>
/// web {
///     listen: 192.0.2.10:8405
/// }
/// metrics {
///     listen: 127.0.0.1:9405
/// }
/// </code>
/// </summary>
/// <param name="Web">Where the web interface listens (HTTPS, log-in); null: not served.</param>
/// <param name="Metrics">Where <c>/metrics</c> alone listens (plain HTTP, no log-in); null: not served.</param>
public sealed record RookerySettings(IPEndPoint? Web, IPEndPoint? Metrics)
{
    /// <summary>Nothing served.</summary>
    public static readonly RookerySettings None = new(null, null);

    /// <summary>The settings file of the node whose corosync.conf is <paramref name="configPath"/>.</summary>
    public static string PathFor(string configPath) =>
        Path.Combine(Path.GetDirectoryName(Path.GetFullPath(configPath)) ?? ".", Defaults.SettingsFileName);

    /// <summary>Parses the file's text; every problem as <c>FILE:LINE: reason</c>, as <c>rookery config check</c> prints them.</summary>
    public static RookerySettings Parse(string text, string fileName, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var (document, diagnostics) = Rookery.Config.Syntax.ConfigParser.Parse(text, fileName);
        errors.AddRange(diagnostics.Where(d => d.IsError).Select(d => d.ToString()));
        if (errors.Count > 0)
        {
            return None;
        }

        IPEndPoint? web = null;
        IPEndPoint? metrics = null;
        foreach (var entry in document.Root.Entries)
        {
            errors.Add($"{fileName}:{entry.Line}: '{entry.Key}' is outside a section (sections: web, metrics)");
        }

        foreach (var section in document.Root.Sections)
        {
            switch (section.Name)
            {
                case "web":
                    web = Listen(section, fileName, errors, (string value, out string? problem) => WebServer.ParseEndPoint(value, out problem));
                    break;
                case "metrics":
                    metrics = Listen(section, fileName, errors, (string value, out string? problem) => MetricsServer.ParseEndPoint(value, out problem));
                    break;
                default:
                    errors.Add($"{fileName}:{section.Line}: unknown section '{section.Name}' (sections: web, metrics)");
                    break;
            }
        }

        return new RookerySettings(web, metrics);
    }

    private delegate IPEndPoint? EndPointParser(string value, out string? problem);

    private static IPEndPoint? Listen(Rookery.Config.Syntax.ConfigSection section, string fileName, List<string> errors, EndPointParser parse)
    {
        IPEndPoint? found = null;
        foreach (var inner in section.Sections)
        {
            errors.Add($"{fileName}:{inner.Line}: unknown section '{inner.Name}' in '{section.Name}' (keys: listen)");
        }

        foreach (var entry in section.Entries)
        {
            if (entry.Key != "listen")
            {
                errors.Add($"{fileName}:{entry.Line}: unknown key '{entry.Key}' in section '{section.Name}' (keys: listen)");
                continue;
            }

            found = parse(entry.Value, out var problem);
            if (found is null)
            {
                errors.Add($"{fileName}:{entry.Line}: {section.Name}.listen: {problem}");
            }
        }

        return found;
    }
}
