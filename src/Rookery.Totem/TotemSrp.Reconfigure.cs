namespace Rookery.Totem;

/// <content>
/// Runtime reconfiguration, as corosync re-reads its volatile Totem values at a reload (<c>totem_volatile_config_read</c>,
/// corosync-spec §2.3): new timers and flow-control limits replace the running ones and take effect from the next
/// time a timer is armed or a token is processed; timers already armed keep their deadline. The packet size
/// (<c>netmtu</c>) cannot change while running.
/// </content>
public sealed partial class TotemSrp
{
    /// <summary>The options in effect.</summary>
    public TotemOptions Options => _options;

    /// <summary>
    /// Replaces the running options with <paramref name="options"/>. Returns every reason it cannot (corosync's
    /// wording from <see cref="TotemOptions.Validate"/>, or a changed <c>netmtu</c>); nothing changes then.
    /// </summary>
    public IReadOnlyList<string> Reconfigure(TotemOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var errors = new List<string>(options.Validate());
        if (options.NetMtu != _options.NetMtu)
        {
            errors.Add($"Modified entry 'totem.netmtu' in corosync.conf cannot be changed at run-time ({_options.NetMtu} -> {options.NetMtu})");
        }

        if (errors.Count == 0)
        {
            _options = options;
        }

        return errors;
    }
}
