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

        Assert.IsType<JournalLogSink>(Assert.IsType<FilteredLogSink>(Assert.Single(sinks)).Inner);
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

        var sinks = LogSetup.CreateSinks(settings, TextWriter.Null, _ => null, problems, Path.Combine(_directory, "none.sock"), Path.Combine(_directory, "no-syslog"));

        Assert.Equal(
            [typeof(SyslogLogSink), typeof(TextLogSink), typeof(TextLogSink)],
            sinks.Select(sink => Assert.IsType<FilteredLogSink>(sink).Inner.GetType()));
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

    [Fact]
    public void Syslog_lines_are_rfc3164_with_the_facility_and_corosyncs_severity()
    {
        var local3 = SyslogLogSink.Facility("local3")!.Value;

        Assert.Equal(
            "<157>Mar  8 11:27:45 rookery[42]: [KNET  ] link: host: 2 link: 1 is down",
            SyslogLogSink.Format(Record(LogPriority.Notice, LogSubsystem.Knet, "link: host: 2 link: 1 is down"), local3, "rookery[42]: "));
        Assert.StartsWith("<31>", SyslogLogSink.Format(Record(LogPriority.Trace, LogSubsystem.Totem, "t"), SyslogLogSink.DaemonFacility, "r: "), StringComparison.Ordinal);
        Assert.StartsWith("<27>", SyslogLogSink.Format(Record(LogPriority.Error, LogSubsystem.Totem, "e"), SyslogLogSink.DaemonFacility, "r: "), StringComparison.Ordinal);
        Assert.Equal(16, SyslogLogSink.Facility("local0"));
        Assert.Null(SyslogLogSink.Facility("local9"));
    }

    [Fact]
    public void To_syslog_outside_systemd_reaches_dev_log_filtered_by_syslog_priority_while_stderr_uses_logfile_priority()
    {
        var path = Path.Combine(_directory, "log");
        using var syslog = new Socket(AddressFamily.Unix, SocketType.Dgram, ProtocolType.Unspecified);
        syslog.Bind(new UnixDomainSocketEndPoint(path));
        syslog.ReceiveTimeout = 10_000;
        var config = Rookery.Config.ConfigLoader.Load(
            "logging {\n to_syslog: yes\n syslog_facility: local5\n syslog_priority: warning\n logfile_priority: notice\n timestamp: off\n}\n", "corosync.conf").Config;
        var settings = LoggingSettingsFromConfig.From(config.Logging);
        var stderr = new StringWriter();
        var problems = new List<string>();
        using var log = new ClusterLog(settings, LogSetup.CreateSinks(settings, stderr, _ => null, problems, Path.Combine(_directory, "none.sock"), path));

        log.Notice(LogSubsystem.Quorum, "Members[3]: 1 2 3");
        log.Info(LogSubsystem.Totem, "not shown anywhere");
        log.Warning(LogSubsystem.Knet, "host: host: 3 has no active links");

        var buffer = new byte[4096];
        var datagram = Encoding.UTF8.GetString(buffer, 0, syslog.Receive(buffer));
        Assert.Matches(@"^<172>[A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} rookery\[\d+\]: \[KNET  \] host: host: 3 has no active links$", datagram);
        Assert.Equal(0, syslog.Available);
        Assert.Equal("notice  [QUORUM] Members[3]: 1 2 3\nwarning [KNET  ] host: host: 3 has no active links\n", stderr.ToString().ReplaceLineEndings("\n"));
        Assert.Empty(problems);
    }

    [Fact]
    public void Debug_on_overrides_both_priority_filters_as_in_corosync()
    {
        var settings = new LoggingSettings { Debug = LogDebug.On, SyslogPriority = LogPriority.Error, LogfilePriority = LogPriority.Error };

        Assert.Equal(LogPriority.Debug, settings.Threshold(LogSubsystem.Totem, LogTarget.Syslog));
        Assert.Equal(LogPriority.Debug, settings.Threshold(LogSubsystem.Totem, LogTarget.Logfile));
        Assert.Equal(LogPriority.Error, (settings with { Debug = LogDebug.Off }).Threshold(LogSubsystem.Totem));
    }

    [Fact]
    public void Without_a_syslog_daemon_lines_are_counted_not_thrown()
    {
        using var sink = new SyslogLogSink(Path.Combine(_directory, "nobody-listens"));

        sink.Write(Record(LogPriority.Notice, LogSubsystem.Main, "m"));

        Assert.Equal(1, sink.Dropped);
    }
}
