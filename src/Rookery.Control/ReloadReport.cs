namespace Rookery.Control;

/// <summary>
/// The outcome of a configuration reload on the node that ran it: every change that was (or, with
/// <c>--dry-run</c>, would be) applied and every change that was refused with corosync's message.
/// </summary>
/// <param name="DryRun">Nothing was changed; the report says what a reload would do.</param>
/// <param name="Ok">The reload was (or would be) applied. False when any change was refused or the file is invalid: then nothing applied (atomic).</param>
/// <param name="ConfigFile">The file that was read.</param>
/// <param name="ConfigVersion">Its <c>totem.config_version</c>.</param>
/// <param name="Applied">Changes applied, one line each (e.g. <c>link 1 added: 127.0.1.1</c>).</param>
/// <param name="Refused">Changes refused, one line each, with the reason.</param>
/// <param name="Errors">Configuration errors, <c>file:line: reason</c>, as <c>rookery config check</c> prints them.</param>
public sealed record ReloadReport(
    bool DryRun,
    bool Ok,
    string ConfigFile,
    ulong ConfigVersion,
    IReadOnlyList<string> Applied,
    IReadOnlyList<string> Refused,
    IReadOnlyList<string> Errors);
