namespace Rookery.Node.Logging;

/// <summary>
/// Chooses the sinks the <c>logging {}</c> section asks for, as corosync does, with the journal standing in for
/// syslog under systemd: <c>to_syslog</c> → the journal (native protocol) when run by systemd; <c>to_stderr</c> →
/// standard error unless that already is the journal (no double lines); <c>to_logfile</c> → <c>logfile</c>.
/// </summary>
public static class LogSetup
{
    /// <summary>Builds the sinks. <paramref name="problems"/> collects what could not be set up (e.g. an unwritable log file).</summary>
    public static IReadOnlyList<ILogSink> CreateSinks(
        LoggingSettings settings,
        TextWriter stderr,
        Func<string, string?> environment,
        List<string> problems,
        string journalSocketPath = JournalLogSink.DefaultSocketPath)
    {
        var sinks = new List<ILogSink>();
        var journal = JournalLogSink.IsAvailable(environment, journalSocketPath);
        if (settings.ToSyslog && journal)
        {
            sinks.Add(new JournalLogSink(journalSocketPath));
        }

        // Under systemd stderr is the journal too: writing both would print every line twice.
        var stderrIsJournal = journal && environment("JOURNAL_STREAM") is { Length: > 0 };
        if (settings.ToStderr && !(stderrIsJournal && settings.ToSyslog))
        {
            sinks.Add(TextLogSink.ForConsole(stderr, settings.Timestamp));
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
                    sinks.Add(TextLogSink.ForFile(settings.Logfile, settings.Timestamp));
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
