using System.CommandLine;
using System.Globalization;
using System.Text;
using Rookery.Cli.Commands;
using Rookery.Config;
using Rookery.Control;
using Rookery.Node;

namespace Rookery.Cli.Documentation;

/// <summary>One generated manual page: its file name (<c>rookery-status.8</c>) and roff source.</summary>
public sealed record ManPage(string FileName, string Text)
{
    /// <summary>The page name (<c>rookery-status</c>).</summary>
    public string Name => Path.GetFileNameWithoutExtension(FileName);

    /// <summary>The manual section (<c>8</c>).</summary>
    public string Section => Path.GetExtension(FileName)[1..];
}

/// <summary>
/// Generates Rookery's manual pages from what <c>--help</c> and <c>docs/config.md</c> are made of, so they cannot
/// drift: <c>rookery(8)</c> and one page per command (<c>rookery-status(8)</c>, …) from the System.CommandLine tree;
/// <c>rookery.conf(5)</c> (Rookery's own files, environment and differences) from <see cref="Defaults"/>,
/// <see cref="NodePaths"/>, <see cref="ControlSocket"/> and <see cref="ConfigDocs"/>; <c>rookery-corosync.conf(5)</c> (every corosync.conf key
/// Rookery reads) from <see cref="KeyCatalog"/>. Written by <c>rookery man --out DIR</c> when the package is built.
/// </summary>
public static class ManPages
{
    /// <summary>The page of the corosync.conf keys; not <c>corosync.conf(5)</c>, which Debian's corosync package owns.</summary>
    public const string CorosyncConfPage = "rookery-corosync.conf";

    /// <summary>Where the systemd unit is installed by the package.</summary>
    public const string UnitPath = "/usr/lib/systemd/system/rookery.service";

    public static IReadOnlyList<ManPage> Generate(RootCommand root, string version)
    {
        var pages = new List<ManPage> { Overview(root, version) };
        pages.AddRange(CommandTree.Subcommands(root).Select(c => Command(root, c, version)));
        pages.Add(RookeryConf(version));
        pages.Add(CorosyncConf(version));
        return pages;
    }

    /// <summary>The page name of a top-level command.</summary>
    public static string PageName(Command command) => $"rookery-{command.Name}";

    private static ManPage Overview(RootCommand root, string version)
    {
        var page = new Roff("rookery", "8", version);
        page.Section("NAME").Line($"rookery {Roff.Dash} {root.Description}");
        page.Section("SYNOPSIS").Synopsis("rookery", "[OPTIONS] COMMAND [ARGUMENTS]");
        page.Section("DESCRIPTION")
            .Paragraph("rookery runs a cluster node (rookery daemon, the counterpart of corosync -f) and administers the cluster the way " +
                "pvecm and corosync-cfgtool do. It reads corosync.conf with corosync 3's grammar and defaults; the keys it reads are in " +
                $"{CorosyncConfPage}(5), its own files and settings in rookery.conf(5).")
            .Paragraph("Each command has its own page, listed below; rookery COMMAND --help prints the same text in short.");
        page.Section("COMMANDS");
        foreach (var command in CommandTree.Subcommands(root))
        {
            page.Item($"\\fB{Roff.Escape(PageName(command))}\\fR(8)", command.Description ?? string.Empty);
        }

        page.Section("OPTIONS").Options(CommandTree.Options(root));
        ExitStatus(page);
        Environment(page);
        Files(page);
        page.Section("SEE ALSO").SeeAlso([
            .. CommandTree.Subcommands(root).Select(c => $"{PageName(c)}(8)"), "rookery.conf(5)", $"{CorosyncConfPage}(5)",
            "corosync.conf(5)", "corosync-cfgtool(8)", "pvecm(1)", "systemctl(1)", "journalctl(1)",
        ]);
        return page.Build();
    }

    private static ManPage Command(RootCommand root, Command command, string version)
    {
        var page = new Roff(PageName(command), "8", version);
        page.Section("NAME").Line($"{PageName(command)} {Roff.Dash} {command.Description}");
        page.Section("SYNOPSIS");
        foreach (var (path, leaf) in Leaves([command.Name], command))
        {
            page.Synopsis("rookery " + string.Join(' ', path), Usage(leaf));
        }

        page.Section("DESCRIPTION").Paragraph(command.Description ?? string.Empty);
        if (command.Arguments.Count > 0)
        {
            page.Section("ARGUMENTS").Arguments(command.Arguments);
        }

        if (CommandTree.Options(command).Any())
        {
            page.Section("OPTIONS").Options(CommandTree.Options(command));
        }

        if (CommandTree.Subcommands(command).Any())
        {
            page.Section("COMMANDS");
            foreach (var (path, sub) in Leaves([command.Name], command).Where(l => l.Command != command))
            {
                page.Item($"\\fBrookery {Roff.Escape(string.Join(' ', path))}\\fR {Roff.Escape(Usage(sub))}", sub.Description ?? string.Empty);
                page.Indent();
                page.Arguments(sub.Arguments);
                page.Options(CommandTree.Options(sub));
                page.Unindent();
            }
        }

        page.Section("GLOBAL OPTIONS").Options(CommandTree.GlobalOptions(root));
        ExitStatus(page);
        page.Section("SEE ALSO").SeeAlso(["rookery(8)", "rookery.conf(5)", $"{CorosyncConfPage}(5)"]);
        return page.Build();
    }

    private static ManPage RookeryConf(string version)
    {
        var page = new Roff("rookery.conf", "5", version);
        page.Section("NAME").Line($"rookery.conf {Roff.Dash} Rookery's files, environment and settings beyond corosync.conf");
        page.Section("DESCRIPTION")
            .Paragraph($"Rookery keeps corosync's configuration format: a node reads {Defaults.ConfigFileName} and its key {Defaults.KeyFileName} " +
                $"from the configuration directory {Defaults.ConfigDir} (not /etc/corosync, so both can be installed). Its own settings, which " +
                $"corosync has no keys for, are in {Defaults.SettingsFileName} beside it (below); this page also lists what Rookery adds to or does differently from corosync.conf(5); " +
                $"the corosync.conf keys themselves are in {CorosyncConfPage}(5).")
            .Paragraph($"{Defaults.SettingsFileName} uses corosync.conf's syntax and has two sections, each with one key, listen: web {{ listen: ADDR[:PORT] }} serves the web " +
                $"interface over HTTPS with the node's certificate and a token log-in (port {Defaults.WebPort} when none is given); metrics {{ listen: ADDR:PORT }} serves " +
                "/metrics alone over plain HTTP without log-in. Absent file or section: not served. rookery daemon --web and --metrics win over the file; a mistake in it " +
                "stops the daemon with exit 8 and FILE:LINE: reason.");
        page.Section("FILES");
        page.Item(Path.Combine(Defaults.ConfigDir, Defaults.ConfigFileName), "The cluster configuration (--config FILE; --config-dir DIR or ROOKERY_CONFIG_DIR for the directory). rookery create writes it; rookery config check checks it.");
        page.Item(Path.Combine(Defaults.ConfigDir, Defaults.KeyFileName), string.Create(CultureInfo.InvariantCulture,
            $"The shared key of the links ({Defaults.AuthKeyBytes} random bytes, mode 0400), next to the configuration file; rookery keygen writes it. totem.keyfile names another one. The package ships none."));
        page.Item(Path.Combine(Defaults.ConfigDir, "corosync.conf.example"), "A commented example shipped by the package.");
        page.Item(Path.Combine(Defaults.ConfigDir, Defaults.SettingsFileName), "Rookery's own settings: where the web interface and the metrics endpoint listen (see above). The package ships none: both are off.");
        page.Item(Path.Combine(Defaults.ConfigDir, "rookery/"), "The node's certificate and key (node.crt, node.key: the join endpoint and the web interface), the cluster's join secret (join-secret, 0600) " +
            "and the web log-in tokens (web-tokens, 0600, SHA-256 of each token of rookery web token).");
        page.Item(NodePaths.DefaultStateDirectory, "State: the ring sequence and the expected-votes tracking of each node id (system.state_dir, --state-dir). Removed on purge.");
        page.Item(ControlSocket.DefaultPath, $"The control socket the rookery commands talk to (mode 0600 in a 0700 directory; --socket PATH or {ControlSocket.EnvironmentVariable}).");
        page.Item("/var/log/rookery/", "Where logging.logfile should point when to_logfile is yes (the unit may write there; logrotate rotates rookery.log and runs rookery log reopen). Removed on purge.");
        page.Item(UnitPath, "The systemd unit: Type=notify with a watchdog, started only when the configuration file exists and the kernel command line lacks nocluster.");
        Environment(page);
        page.Section("DIFFERENCES FROM COROSYNC");
        foreach (var item in MarkdownItems(ConfigDocs.Differences))
        {
            page.Bullet(item);
        }

        page.Section("SEE ALSO").SeeAlso(["rookery(8)", $"{CorosyncConfPage}(5)", "corosync.conf(5)", "votequorum(5)"]);
        return page.Build();
    }

    private static ManPage CorosyncConf(string version)
    {
        var page = new Roff(CorosyncConfPage, "5", version);
        page.Section("NAME").Line($"{CorosyncConfPage} {Roff.Dash} the corosync.conf keys Rookery reads, with their defaults");
        page.Section("DESCRIPTION")
            .Paragraph("Rookery reads corosync.conf with corosync 3's grammar and defaults. Durations are milliseconds unless the " +
                "description says otherwise. A key not listed here is kept but has no effect. The same table is docs/config.md in the sources.")
            .Paragraph("Derived timers (corosync: totem_volatile_config_read), in this order, with N = nodes that have a ring0_addr:");
        foreach (var rule in ConfigDocs.DerivedTimers)
        {
            page.Bullet(rule);
        }

        page.Paragraph(ConfigDocs.Floors);
        foreach (var section in KeyCatalog.All.GroupBy(s => s.Section))
        {
            page.Section($"{section.Key.ToUpperInvariant()} SECTION");
            foreach (var spec in section)
            {
                var check = ConfigDocs.Check(spec);
                page.Item($"\\fB{Roff.Escape(spec.Key)}\\fR", $"{spec.Description} Values: {ConfigDocs.Type(spec)}. Default: {spec.Default}." +
                    (check == "none" ? string.Empty : $" Refused when not: {check}."));
            }
        }

        page.Section("SEE ALSO").SeeAlso(["corosync.conf(5)", "votequorum(5)", "rookery.conf(5)", "rookery(8)", "rookery-config(8)"]);
        return page.Build();
    }

    private static void ExitStatus(Roff page)
    {
        page.Section("EXIT STATUS");
        page.Item(Num(ExitCodes.Ok), "Success.");
        page.Item(Num(ExitCodes.Error), "Failure: bad input, an I/O error, a refused change, or no node running at the socket.");
        page.Item(Num(ExitCodes.Usage), $"The command line is wrong (unknown option, missing argument). rookery status also exits {Num(StatusCommand.NotQuorate)} when the cluster is not quorate, as corosync-quorumtool does.");
        page.Item(Num(ExitCodes.ConfigInvalid), "The configuration is not valid (rookery config check; the daemon exits with it too, as corosync does).");
    }

    private static void Environment(Roff page)
    {
        page.Section("ENVIRONMENT");
        page.Item("ROOKERY_CONFIG_DIR", $"The configuration directory when --config-dir is not given (default {Defaults.ConfigDir}).");
        page.Item(ControlSocket.EnvironmentVariable, $"The control socket when --socket is not given (default {ControlSocket.DefaultPath}).");
        page.Item("NOTIFY_SOCKET, WATCHDOG_USEC", "Set by systemd: the daemon reports READY=1 once in a ring and sends WATCHDOG=1 from its main loop every half WATCHDOG_USEC.");
    }

    private static void Files(Roff page)
    {
        page.Section("FILES");
        page.Item(Path.Combine(Defaults.ConfigDir, Defaults.ConfigFileName), "The cluster configuration.");
        page.Item(Path.Combine(Defaults.ConfigDir, Defaults.KeyFileName), "The shared key of the links.");
        page.Item(NodePaths.DefaultStateDirectory, "The ring sequence of each node id.");
        page.Item(ControlSocket.DefaultPath, "The control socket of the running node.");
        page.Item(UnitPath, "The systemd unit (systemctl enable --now rookery once the configuration exists).");
    }

    /// <summary>The command itself when it has no subcommands, else each subcommand (depth first) with its path.</summary>
    private static IEnumerable<(IReadOnlyList<string> Path, Command Command)> Leaves(IReadOnlyList<string> path, Command command)
    {
        if (!CommandTree.Subcommands(command).Any())
        {
            yield return (path, command);
            yield break;
        }

        foreach (var child in CommandTree.Subcommands(command))
        {
            foreach (var leaf in Leaves([.. path, child.Name], child))
            {
                yield return leaf;
            }
        }
    }

    /// <summary>The words after the command's name in a synopsis: its arguments, then <c>[OPTIONS]</c> when it has any.</summary>
    private static string Usage(Command command)
    {
        var words = command.Arguments.Where(a => !a.Hidden).Select(CommandTree.ArgumentSynopsis).ToList();
        if (CommandTree.Options(command).Any())
        {
            words.Add("[OPTIONS]");
        }

        return string.Join(' ', words);
    }

    /// <summary>The items of a Markdown bullet list, continuation lines joined, code quotes dropped.</summary>
    private static IEnumerable<string> MarkdownItems(string markdown)
    {
        var item = new StringBuilder();
        foreach (var line in markdown.Split('\n'))
        {
            var trimmed = line.Trim();
            if (trimmed.StartsWith("- ", StringComparison.Ordinal))
            {
                if (item.Length > 0)
                {
                    yield return item.ToString().Replace("`", string.Empty, StringComparison.Ordinal);
                }

                item.Clear().Append(trimmed[2..]);
            }
            else if (trimmed.Length > 0 && item.Length > 0)
            {
                item.Append(' ').Append(trimmed);
            }
        }

        if (item.Length > 0)
        {
            yield return item.ToString().Replace("`", string.Empty, StringComparison.Ordinal);
        }
    }

    private static string Num(int value) => value.ToString(CultureInfo.InvariantCulture);
}
