namespace Rookery.Node.Logging;

/// <summary>
/// Chooses the sinks the <c>logging {}</c> section asks for, as corosync does, with the journal standing in for
/// syslog under systemd: <c>to_syslog</c> → the journal (native protocol) when run by systemd, else the syslog
/// daemon on <c>/dev/log</c> (RFC 3164, <c>syslog_facility</c>); <c>to_stderr</c> → standard error unless that
/// already is the journal (no double lines); <c>to_logfile</c> → <c>logfile</c>. syslog and the journal show
/// <c>syslog_priority</c> and above, stderr and the file <c>logfile_priority</c> and above (all of it with <c>debug</c>).
/// </summary>
public static class LogSetup
{
    /// <summary>Builds the sinks. <paramref name="problems"/> collects what could not be set up (e.g. an unwritable log file).</summary>
    public static IReadOnlyList<ILogSink> CreateSinks(
        LoggingSettings settings,
        TextWriter stderr,
        Func<string, string?> environment,
        List<string> problems,
        string journalSocketPath = JournalLogSink.DefaultSocketPath,
        string syslogSocketPath = SyslogLogSink.DefaultSocketPath)
    {
        var sinks = new List<ILogSink>();
        var journal = JournalLogSink.IsAvailable(environment, journalSocketPath);
        if (settings.ToSyslog && journal)
        {
            sinks.Add(new FilteredLogSink(new JournalLogSink(journalSocketPath), settings, LogTarget.Syslog));
        }
        else if (settings.ToSyslog)
        {
            // As syslog(3): without a syslog daemon the lines are lost (counted by the sink), and the daemon may come later.
            sinks.Add(new FilteredLogSink(new SyslogLogSink(syslogSocketPath, settings.SyslogFacility), settings, LogTarget.Syslog));
        }

        // Under systemd stderr is the journal too: writing both would print every line twice.
        var stderrIsJournal = journal && environment("JOURNAL_STREAM") is { Length: > 0 };
        if (settings.ToStderr && !(stderrIsJournal && settings.ToSyslog))
        {
            sinks.Add(new FilteredLogSink(TextLogSink.ForConsole(stderr, settings.Timestamp), settings, LogTarget.Logfile));
        }

        if (settings.ToLogfile)
        {
            if (string.IsNullOrEmpty(settings.Logfile))
            {
                problems.Add("logging.to_logfile is yes but logging.logfile is not set; add 'logfile: /var/log/rookery/rookery.log' to the logging section");
            }
            else
            {
                try
                {
                    sinks.Add(new FilteredLogSink(TextLogSink.ForFile(settings.Logfile, settings.Timestamp), settings, LogTarget.Logfile));
                }
                catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
                {
                    problems.Add($"cannot open logging.logfile '{settings.Logfile}': {exception.Message}");
                }
            }
        }

        return sinks;
    }
}
