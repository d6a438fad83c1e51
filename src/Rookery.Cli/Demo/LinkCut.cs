using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace Rookery.Cli.Demo;

/// <summary>
/// A dead switch port on loopback: an nftables table whose output chain drops every packet from or to one address,
/// silently (no ICMP, no interface change), so the daemons learn of it only by missing heartbeats. Root only.
/// Disposing deletes the table. The table is named after this process (<c>rookery_demo_PID</c>); a table left by a
/// demo that was killed is removed by the next demo (its process no longer exists).
/// </summary>
public sealed partial class LinkCut : IDisposable
{
    private const string TablePrefix = "rookery_demo_";
    private readonly string _table;
    private bool _disposed;

    private LinkCut(string table, IPAddress address)
    {
        _table = table;
        Address = address;
    }

    public IPAddress Address { get; }

    /// <summary>The command that undoes the cut.</summary>
    public string RestoreCommand => $"nft delete table inet {_table}";

    /// <summary>The command that made the cut, as an admin would type it.</summary>
    public string Command => $"nft add table inet {_table}; nft add chain inet {_table} output '{{ type filter hook output priority 0; }}'; nft add rule inet {_table} output ip saddr {Address} drop; nft add rule inet {_table} output ip daddr {Address} drop";

    /// <summary>Why this process cannot cut a link for real; null when it can (root and <c>nft</c> installed).</summary>
    public static string? UnavailableReason()
    {
        if (!Environment.IsPrivilegedProcess)
        {
            return string.Create(CultureInfo.InvariantCulture,
                $"dropping packets needs root (nftables rules need CAP_NET_ADMIN) and this runs as uid {Uid()}");
        }

        return Find("nft") is null ? "nft is not installed (apt-get install nftables)" : null;
    }

    /// <summary>Drops every IPv4 packet from or to <paramref name="address"/> from now on.</summary>
    public static LinkCut Apply(IPAddress address)
    {
        RemoveLeftovers();
        var table = TablePrefix + Environment.ProcessId.ToString(CultureInfo.InvariantCulture);
        Nft(["-f", "-"], $$"""
            table inet {{table}} {
              chain output {
                type filter hook output priority 0; policy accept;
                ip saddr {{address}} drop
                ip daddr {{address}} drop
              }
            }
            """);
        return new LinkCut(table, address);
    }

    /// <summary>Deletes the table: packets flow again.</summary>
    public void Dispose()
    {
        if (!_disposed)
        {
            _disposed = true;
            Nft(["delete", "table", "inet", _table], null);
        }
    }

    /// <summary>Tables of demos whose process is gone (killed before it could clean up).</summary>
    private static void RemoveLeftovers()
    {
        foreach (Match match in LeftoverTable().Matches(Nft(["list", "tables", "inet"], null)))
        {
            var pid = int.Parse(match.Groups["pid"].Value, CultureInfo.InvariantCulture);
            if (pid != Environment.ProcessId && !Directory.Exists($"/proc/{pid}"))
            {
                Nft(["delete", "table", "inet", TablePrefix + match.Groups["pid"].Value], null);
            }
        }
    }

    private static string Nft(IReadOnlyList<string> arguments, string? input)
    {
        var start = new ProcessStartInfo(Find("nft") ?? "nft")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new CliException("demo: could not run nft");
        process.StandardInput.Write(input ?? "");
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            process.Kill();
            throw new CliException($"demo: 'nft {string.Join(' ', arguments)}' did not finish within 10 s");
        }

        if (process.ExitCode != 0)
        {
            throw new CliException($"demo: 'nft {string.Join(' ', arguments)}' failed (exit {process.ExitCode}): {error.Result.Trim()}");
        }

        return output.Result;
    }

    private static string? Find(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin"])
            .Select(directory => Path.Combine(directory, tool))
            .FirstOrDefault(File.Exists);

    private static string Uid()
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("Uid:", StringComparison.Ordinal));
            return line?.Split('\t', StringSplitOptions.RemoveEmptyEntries).ElementAtOrDefault(2) ?? "?";
        }
        catch (IOException)
        {
            return "?";
        }
    }

    [GeneratedRegex(@"table inet rookery_demo_(?<pid>\d+)")]
    private static partial Regex LeftoverTable();
}
