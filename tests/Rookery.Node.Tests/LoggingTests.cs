using System.Buffers.Binary;
using System.Net.Sockets;
using System.Text;
using Rookery.Node.Logging;

namespace Rookery.Node.Tests;

[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class LoggingTests : IDisposable
{
    private static readonly DateTimeOffset s_time = new(new DateTime(2026, 3, 8, 11, 27, 45, 922, DateTimeKind.Local));

    private readonly string _directory = Directory.CreateTempSubdirectory("rookery-log-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private static LogRecord Record(LogPriority priority, string subsystem, string message, LogFields fields = default) =>
        new(s_time, subsystem, priority, message, fields);

    [Fact]
    public void Stderr_lines_use_corosync_priority_and_subsystem_columns()
    {
        var line = TextLogSink.FormatLine(Record(LogPriority.Info, LogSubsystem.Knet, "link: host: 2 link: 1 is down"), LogTimestamp.Hires);

        Assert.Equal("Mar  8 11:27:45.922 info    [KNET  ] link: host: 2 link: 1 is down", line);
        Assert.Equal(
            "notice  [QUORUM] This node is within the primary component and will provide service.",
            TextLogSink.FormatLine(Record(LogPriority.Notice, LogSubsystem.Quorum, "This node is within the primary component and will provide service."), LogTimestamp.Off));
        Assert.Equal("Mar  8 11:27:45 warning [MAIN  ] x", TextLogSink.FormatLine(Record(LogPriority.Warning, LogSubsystem.Main, "x"), LogTimestamp.On));
    }

    [Fact]
    public void Log_file_lines_carry_pid_and_host_as_corosync_writes_them()
    {
        var path = Path.Combine(_directory, "rookery.log");
        using (var sink = TextLogSink.ForFile(path, LogTimestamp.Hires))
        {
            sink.Write(Record(LogPriority.Notice, LogSubsystem.Totem, "A new membership (1.1c) was formed. Members joined: 3"));
        }

        Assert.Equal(
            $"Mar  8 11:27:45.922 [{Environment.ProcessId}] {Environment.MachineName} rookery notice  [TOTEM ] A new membership (1.1c) was formed. Members joined: 3\n",
            File.ReadAllText(path));
    }

    [Theory]
    [InlineData(LogDebug.Off, LogPriority.Info, true)]
    [InlineData(LogDebug.Off, LogPriority.Debug, false)]
    [InlineData(LogDebug.On, LogPriority.Debug, true)]
    [InlineData(LogDebug.On, LogPriority.Trace, false)]
    [InlineData(LogDebug.Trace, LogPriority.Trace, true)]
    public void The_debug_key_sets_the_threshold(LogDebug debug, LogPriority priority, bool shown)
    {
        var memory = new MemoryLogSink();
        using var log = new ClusterLog(new LoggingSettings { Debug = debug }, [memory]);

        log.Write(LogSubsystem.Totem, priority, "m");

        Assert.Equal(shown ? 1 : 0, memory.Records.Count);
    }

    [Fact]
    public void Logger_subsys_debug_overrides_the_global_setting_for_that_subsystem_only()
    {
        var memory = new MemoryLogSink();
        var settings = new LoggingSettings { SubsystemDebug = new Dictionary<string, LogDebug> { [LogSubsystem.Knet] = LogDebug.On } };
        using var log = new ClusterLog(settings, [memory]);

        log.Debug(LogSubsystem.Knet, "knet detail");
        log.Debug(LogSubsystem.Totem, "totem detail");

        Assert.Equal(["knet detail"], memory.Records.Select(r => r.Message));
    }

    [Fact]
    public void Journal_datagram_has_message_priority_identifier_and_structured_fields()
    {
        var datagram = JournalLogSink.Encode(Record(LogPriority.Info, LogSubsystem.Knet, "link: host: 2 link: 1 is down", new LogFields(2, 1, "1.1c")), "rookery");

        Assert.Equal(
            "MESSAGE=[KNET  ] link: host: 2 link: 1 is down\nPRIORITY=6\nSYSLOG_IDENTIFIER=rookery\nSUBSYSTEM=KNET\nNODE=2\nLINK=1\nRING=1.1c\n",
            Encoding.UTF8.GetString(datagram));
    }

    [Fact]
    public void Journal_values_with_newlines_use_the_binary_length_prefixed_form()
    {
        var datagram = JournalLogSink.Encode(Record(LogPriority.Trace, LogSubsystem.Main, "two\nlines"), "rookery");

        var expectedMessage = "[MAIN  ] two\nlines"u8.ToArray();
        var prefix = "MESSAGE\n"u8.ToArray();
        Assert.Equal(prefix, datagram[..prefix.Length]);
        Assert.Equal((ulong)expectedMessage.Length, BinaryPrimitives.ReadUInt64LittleEndian(datagram.AsSpan(prefix.Length, 8)));
        Assert.Equal(expectedMessage, datagram.AsSpan(prefix.Length + 8, expectedMessage.Length).ToArray());
        Assert.Contains("\nPRIORITY=7\n", Encoding.UTF8.GetString(datagram), StringComparison.Ordinal);
    }

    [Fact]
    public void Journal_sink_sends_one_datagram_per_record_to_the_journal_socket()
    {
        var path = Path.Combine(_directory, "journal.sock");
        using var journal = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        journal.Bind(new UnixDomainSocketEndPoint(path));
        journal.ReceiveTimeout = 10_000;
        using var sink = new JournalLogSink(path);

        sink.Write(Record(LogPriority.Notice, LogSubsystem.Quorum, "Members[3]: 1 2 3"));

        var buffer = new byte[4096];
        var received = journal.Receive(buffer);
        Assert.StartsWith("MESSAGE=[QUORUM] Members[3]: 1 2 3\nPRIORITY=5\n", Encoding.UTF8.GetString(buffer, 0, received), StringComparison.Ordinal);
        Assert.Equal(0, sink.Dropped);
    }

    [Fact]
    public void Under_systemd_logs_go_to_the_journal_and_not_twice_through_stderr()
    {
        var path = Path.Combine(_directory, "journal.sock");
        using var journal = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        journal.Bind(new UnixDomainSocketEndPoint(path));
        var environment = new Dictionary<string, string> { ["JOURNAL_STREAM"] = "8:1234", ["INVOCATION_ID"] = "abc" };

        var sinks = LogSetup.CreateSinks(new LoggingSettings(), TextWriter.Null, k => environment.GetValueOrDefault(k), [], path);

        Assert.IsType<JournalLogSink>(Assert.Single(sinks));
        foreach (var sink in sinks)
        {
            sink.Dispose();
        }
    }

    [Fact]
    public void Outside_systemd_logs_go_to_stderr_and_to_the_log_file_when_asked()
    {
        var problems = new List<string>();
        var settings = new LoggingSettings { ToLogfile = true, Logfile = Path.Combine(_directory, "r.log") };

        var sinks = LogSetup.CreateSinks(settings, TextWriter.Null, _ => null, problems, Path.Combine(_directory, "none.sock"));

        Assert.Equal(2, sinks.Count);
        Assert.Empty(problems);
        foreach (var sink in sinks)
        {
            sink.Dispose();
        }
    }

    [Fact]
    public void To_logfile_without_logfile_is_reported_with_what_to_add()
    {
        var problems = new List<string>();

        LogSetup.CreateSinks(new LoggingSettings { ToLogfile = true, ToStderr = false }, TextWriter.Null, _ => null, problems);

        Assert.Contains("logging.logfile is not set", Assert.Single(problems), StringComparison.Ordinal);
    }
}
