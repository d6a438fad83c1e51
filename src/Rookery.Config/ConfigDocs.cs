using System.Text;

namespace Rookery.Config;

/// <summary>Generates <c>docs/config.md</c> from <see cref="KeyCatalog"/> (and so from <see cref="Defaults"/>); a test fails when the file is stale.</summary>
public static class ConfigDocs
{
    public static string Generate()
    {
        var text = new StringBuilder();
        text.Append("# corosync.conf keys Rookery reads\n\n");
        text.Append("<!-- Generated from src/Rookery.Config/KeyCatalog.cs and Defaults.cs; do not edit.\n");
        text.Append("     Regenerate: ROOKERY_UPDATE_DOCS=1 dotnet test --project tests/Rookery.Config.Tests -c Release -->\n\n");
        text.Append("Rookery reads corosync.conf with corosync 3's grammar and defaults. Durations are milliseconds unless the\n");
        text.Append("description says otherwise. \"Parse check\" is what the parser refuses, with corosync's message.\n");
        text.Append("Derived timers (corosync: `totem_volatile_config_read`), in this order, with N = nodes that have a ring0_addr:\n\n");
        foreach (var rule in DerivedTimers)
        {
            text.Append("- ").Append(rule).Append('\n');
        }

        text.Append('\n').Append(Floors).Append('\n');
        text.Append("\nColumn \"daemon\" (every key is accounted for; none is silently ignored): *start* = applied when the daemon starts,\n");
        text.Append("a reload that changes it is refused with corosync's message; *start, reload* = also applied live by `rookery reload`;\n");
        text.Append("*checked* = only the values Rookery supports are accepted, any other is an error; *refused* = not implemented, a\n");
        text.Append("value other than the default is an error of `rookery config check` and of the daemon's start; *no effect (warned)* =\n");
        text.Append("setting it gives a warning saying why (config check, and the daemon's log at start).\n\n");
        text.Append($"Files: configuration directory `{Defaults.ConfigDir}` (`--config-dir`, `ROOKERY_CONFIG_DIR`), `{Defaults.ConfigFileName}` and `{Defaults.KeyFileName}` ({Defaults.AuthKeyBytes} random bytes, mode 0400) in it.\n");

        foreach (var section in KeyCatalog.All.GroupBy(s => s.Section))
        {
            text.Append($"\n## {section.Key}\n\n");
            text.Append("| key | type | default | parse check | daemon | meaning |\n");
            text.Append("|---|---|---|---|---|---|\n");
            foreach (var spec in section)
            {
                var audit = KeyAudit.Of(spec);
                text.Append($"| `{spec.Key}` | {Type(spec)} | {Escape(spec.Default)} | {Escape(Check(spec))} | {KeyAudit.Describe(audit.Effect)}: {Escape(audit.Note)} | {Escape(spec.Description)} |\n");
            }
        }

        text.Append(Differences);
        return text.ToString();
    }

    /// <summary>How the timers left unset follow from the others (corosync: <c>totem_volatile_config_read</c>), in this order; also in the man pages.</summary>
    public static IReadOnlyList<string> DerivedTimers { get; } =
    [
        "effective token = token + (N − 2) × token_coefficient when N > 2, else token",
        "token_retransmit = effective token / (token_retransmits_before_loss_const + 0.2), truncated",
        "hold = token_retransmit × 0.8 − 10, truncated",
        "consensus = 1.2 × effective token, truncated",
        $"per link, Rookery's own timers unless a knet_ping_* key is set: pings every {Defaults.LinkPingIntervalMs} ms, down after "
            + $"{Defaults.LinkDownTimeoutMs} ms without a pong (the link_* keys; docs/links.md). corosync's knet timers, derived from "
            + "the token, apply only to a link that sets knet_ping_interval or knet_ping_timeout: the unset one is effective token / "
            + "knet_pong_count (timeout) or effective token / (2 × knet_pong_count) (interval)",
    ];

    /// <summary>The lower bounds of the derived and given timers.</summary>
    public static string Floors { get; } = $"Floors: every timeout ≥ {TotemTimers.TimeoutMinMs} ms, hold ≥ {TotemTimers.HoldMinMs} ms, consensus ≥ join.";

    /// <summary>What Rookery does differently from corosync 3.1.7 and pvecm, on purpose (checked by tests/Rookery.Integration.Tests/CorosyncCompat); Markdown, also in the man pages.</summary>
    public const string Differences = """

        ## Differences from corosync and pvecm, on purpose

        - Every error of a file is reported at once (corosync stops at the first), each with its file and line; warnings are separate.
        - `rookery config check` also applies pvecm's `verify_conf` (interface blocks and ringX_addr must match on every node; a link
          configured on some nodes must be on all) and votequorum's checks, which `corosync -t` does not run (corosync
          fails later, when the quorum service starts).
        - An interface block is read even when it holds nothing but `linknumber`; corosync ignores such a block, so a `linknumber`
          of 8 or more there passes `corosync -t` but not `rookery config check`.
        - Unknown keys inside an interface block stay with their link (corosync keeps them unindexed and ignores them), so
          extensions can be set per link.
        - Errors of ours: two nodes with one name; one address used by two nodes. Warnings of ours: one node using one address
          on two links (an error in create and addnode).
        - Host names in ringX_addr, one rule everywhere: a name is resolved as corosync resolves it (getaddrinfo's answers in
          order, filtered by `totem.ip_version`: `ipv4` the first IPv4 address, `ipv6` the first IPv6 one, `ipv6-4` (default)
          the first IPv6 else the first IPv4, `ipv4-6` the reverse). The daemon resolves at start and at every reload and
          uses that address; `rookery config check` resolves the same way (a warning names the address chosen) and checks
          families and duplicates on the result. A name that gives no address of an allowed family is an error: the
          daemon exits with 8 and says which key and name (corosync leaves such a node out silently). `create` and `addnode`
          resolve a name given to `--linkN` by the same rule and write the address, not the name (pvecm since PVE 5.1), and
          refuse a name that does not resolve.
        - A local node that cannot be found is a warning in `config check` (the file may be for another machine); `--node NAME`
          makes it an error. A missing key file is a warning there; a short one is an error.
        - `knet_compression_model: none` (the default) may be written out; corosync 3.1.7 refuses the explicit value.
        - `config_version: -3` is refused (strtoull would wrap it).
        - Editing keeps comments, blank lines and order (pvecm rewrites the whole file); a new file is written in pvecm's layout.
        - addnode also refuses one address on two of the node's links and an address of another IP family than its link;
          `--votes 0` writes `quorum_votes: 0` (pvecm leaves the line out).
        - The non-breaking space counts as whitespace as the character U+00A0 of a UTF-8 file (corosync: the byte 0xA0).
        - The key file defaults to `authkey` in the configuration directory (corosync: /etc/corosync/authkey).

        """;

    /// <summary>Rookery's own link keys: read by <see cref="LinkTimingKeys"/>, not by corosync's parser.</summary>
    private static bool IsRookeryLinkKey(KeySpec spec) =>
        spec.Section == "totem.interface" && spec.Key.StartsWith("link_", StringComparison.Ordinal) && LinkTimingKeys.Keys.Contains(spec.Key);

    /// <summary>The values a key takes, as the docs and man pages print them.</summary>
    public static string Type(KeySpec spec) => IsRookeryLinkKey(spec)
        ? LinkTimingKeys.SwitchValues.Contains(spec.Default) ? "yes, no" : "ms"
        : spec.Kind switch
    {
        ValueKind.UInt8 => "0..255",
        ValueKind.UInt16 => "0..65535",
        ValueKind.UInt32 => "0..4294967295",
        ValueKind.Int32 => "signed 32-bit",
        ValueKind.UInt64 => "unsigned 64-bit",
        ValueKind.Dscp => "0..63 or DSCP name",
        ValueKind.Choice => string.Join(", ", spec.Choices!),
        _ => "text",
    };

    /// <summary>What the parser refuses for a key, with corosync's message.</summary>
    public static string Check(KeySpec spec) => IsRookeryLinkKey(spec)
        ? "range and relations, at validation"
        : spec.Kind switch
    {
        ValueKind.Text => "none",
        ValueKind.Choice => KeyCatalog.ChoiceMessage(spec),
        _ => "integer range",
    };

    private static string Escape(string text) => text.Replace("|", "\\|", StringComparison.Ordinal);
}
