using System.Globalization;
using System.Text;

namespace Rookery.Node.Logging;

/// <summary>
/// Writes to the local syslog daemon as syslog(3) does: one datagram per record on <c>/dev/log</c> in the RFC 3164
/// local format <c>&lt;PRI&gt;Mmm dd hh:mm:ss rookery[pid]: [TOTEM ] message</c>, PRI = facility × 8 + severity
/// (libqb's trace goes out as debug). Used for <c>to_syslog</c> when not run by systemd (then the journal takes it).
/// Records the socket does not take (no syslog daemon, a full queue) are counted, never logged one by one.
/// </summary>
public sealed class SyslogLogSink : ILogSink
{
    /// <summary>Where syslog(3) sends.</summary>
    public const string DefaultSocketPath = "/dev/log";

    /// <summary>syslog(3)'s <c>LOG_DAEMON</c>, corosync's default <c>syslog_facility</c>.</summary>
    public const int DaemonFacility = 3;

    private static readonly Dictionary<string, int> s_facilities = new(StringComparer.Ordinal)
    {
        ["kern"] = 0, ["user"] = 1, ["mail"] = 2, ["daemon"] = 3, ["auth"] = 4, ["syslog"] = 5, ["lpr"] = 6, ["news"] = 7,
        ["uucp"] = 8, ["cron"] = 9, ["authpriv"] = 10, ["ftp"] = 11, ["local0"] = 16, ["local1"] = 17, ["local2"] = 18,
        ["local3"] = 19, ["local4"] = 20, ["local5"] = 21, ["local6"] = 22, ["local7"] = 23,
    };

    private readonly UnixDatagramSender _sender;
    private readonly string _tag;
    private readonly int _facility;

    public SyslogLogSink(string socketPath = DefaultSocketPath, int facility = DaemonFacility, string identifier = "rookery")
    {
        _sender = new UnixDatagramSender(socketPath);
        _facility = facility;
        _tag = string.Create(CultureInfo.InvariantCulture, $"{identifier}[{Environment.ProcessId}]: ");
    }

    /// <summary>Records the syslog socket did not take; counted, never logged one by one.</summary>
    public long Dropped => _sender.Dropped;

    /// <summary>syslog(3)'s facility code for a <c>syslog_facility</c> name (corosync accepts these), or null.</summary>
    public static int? Facility(string name) => s_facilities.TryGetValue(name, out var code) ? code : null;

    /// <summary>The datagram for one record (public for tests): <c>&lt;PRI&gt;Mmm dd hh:mm:ss tag: [SUBSYS] message</c>.</summary>
    public static string Format(in LogRecord record, int facility, string tag)
    {
        var severity = Math.Min((int)record.Priority, (int)LogPriority.Debug);
        var local = record.Time.ToLocalTime();
        var day = local.Day.ToString(CultureInfo.InvariantCulture).PadLeft(2);
        return string.Create(CultureInfo.InvariantCulture,
            $"<{(facility * 8) + severity}>{local:MMM} {day} {local:HH:mm:ss} {tag}{LogFormat.Tag(record.Subsystem)} {record.Message}");
    }

    public void Write(in LogRecord record)
    {
        var datagram = Encoding.UTF8.GetBytes(Format(record, _facility, _tag));
        _sender.Send(datagram);
    }

    public void Dispose() => _sender.Dispose();
}
