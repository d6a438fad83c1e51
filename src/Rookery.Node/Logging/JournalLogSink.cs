using System.Buffers.Binary;
using System.Text;

namespace Rookery.Node.Logging;

/// <summary>
/// Writes to the systemd journal with its native protocol: one datagram per record on
/// <c>/run/systemd/journal/socket</c>, <c>KEY=value</c> lines, and the binary form (<c>KEY\n</c>, 64-bit
/// little-endian length, value, <c>\n</c>) for values with a newline. Fields: <c>MESSAGE</c> (<c>[TOTEM ] …</c>),
/// <c>PRIORITY</c>, <c>SYSLOG_IDENTIFIER</c>, <c>SUBSYSTEM</c>, and <c>NODE</c>, <c>LINK</c>, <c>RING</c> when known.
/// </summary>
public sealed class JournalLogSink : ILogSink
{
    /// <summary>Where journald listens for native messages.</summary>
    public const string DefaultSocketPath = "/run/systemd/journal/socket";

    private readonly UnixDatagramSender _sender;
    private readonly string _identifier;

    public JournalLogSink(string socketPath = DefaultSocketPath, string identifier = "rookery")
    {
        _sender = new UnixDatagramSender(socketPath);
        _identifier = identifier;
    }

    /// <summary>Records the journal did not take (socket gone or full); counted, never logged one by one.</summary>
    public long Dropped => _sender.Dropped;

    /// <summary>Whether this process runs under systemd with a journal to talk to.</summary>
    public static bool IsAvailable(Func<string, string?> environment, string socketPath = DefaultSocketPath) =>
        (environment("JOURNAL_STREAM") is { Length: > 0 } || environment("INVOCATION_ID") is { Length: > 0 }) && File.Exists(socketPath);

    /// <summary>Builds the datagram for one record (public for tests).</summary>
    public static byte[] Encode(in LogRecord record, string identifier)
    {
        using var buffer = new MemoryStream();
        AppendField(buffer, "MESSAGE", LogFormat.Tag(record.Subsystem) + " " + record.Message);
        AppendField(buffer, "PRIORITY", ((int)Math.Min((int)record.Priority, (int)LogPriority.Debug)).ToString(System.Globalization.CultureInfo.InvariantCulture));
        AppendField(buffer, "SYSLOG_IDENTIFIER", identifier);
        AppendField(buffer, "SUBSYSTEM", record.Subsystem);
        if (record.Fields.Node is { } node)
        {
            AppendField(buffer, "NODE", node.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (record.Fields.Link is { } link)
        {
            AppendField(buffer, "LINK", link.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        if (record.Fields.Ring is { } ring)
        {
            AppendField(buffer, "RING", ring);
        }

        return buffer.ToArray();
    }

    public void Write(in LogRecord record)
    {
        var datagram = Encode(record, _identifier);
        _sender.Send(datagram);
    }

    public void Dispose() => _sender.Dispose();

    private static void AppendField(MemoryStream buffer, string name, string value)
    {
        var nameBytes = Encoding.ASCII.GetBytes(name);
        var valueBytes = Encoding.UTF8.GetBytes(value);
        buffer.Write(nameBytes);
        if (value.Contains('\n'))
        {
            buffer.WriteByte((byte)'\n');
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)valueBytes.Length);
            buffer.Write(length);
        }
        else
        {
            buffer.WriteByte((byte)'=');
        }

        buffer.Write(valueBytes);
        buffer.WriteByte((byte)'\n');
    }
}
