using Rookery.Links;

namespace Rookery.Links.Tests;

public sealed class LinkTimingOptionsTests
{
    private static readonly Duration s_token = Duration.FromMilliseconds(3650);

    [Fact]
    public void Without_keys_the_fast_policy_applies()
    {
        var errors = new List<string>();
        var options = LinkTimingOptions.FromInterfaceKeys(new Dictionary<string, string>(), s_token, errors);

        Assert.Empty(errors);
        Assert.Equal(LinkTimingOptions.Fast, options);
        Assert.False(options.IsKnetMode);
    }

    [Fact]
    public void Knet_keys_keep_their_corosync_meaning_and_derive_the_other_timer_from_the_token()
    {
        var errors = new List<string>();
        var options = LinkTimingOptions.FromInterfaceKeys(new Dictionary<string, string> { ["knet_ping_timeout"] = "1000", ["link_down_timeout"] = "90" }, s_token, errors);

        Assert.Empty(errors);
        Assert.True(options.IsKnetMode);
        Assert.Equal(Duration.FromMilliseconds(1000), options.DownTimeout);
        Assert.Equal(Duration.FromMilliseconds(912), options.PingInterval);
        Assert.Equal(Duration.Infinite, options.SuspectTimeout);
        Assert.False(options.Hedging);
    }

    [Fact]
    public void Knet_pong_count_applies_in_both_modes()
    {
        var errors = new List<string>();
        var fast = LinkTimingOptions.FromInterfaceKeys(new Dictionary<string, string> { ["knet_pong_count"] = "4" }, s_token, errors);
        var knet = LinkTimingOptions.FromInterfaceKeys(new Dictionary<string, string> { ["knet_pong_count"] = "4", ["knet_ping_interval"] = "500" }, s_token, errors);

        Assert.Empty(errors);
        Assert.Equal(4, fast.PongCount);
        Assert.Equal(4, knet.PongCount);
        Assert.Equal(Duration.FromMilliseconds(912), knet.DownTimeout);
    }

    [Fact]
    public void Rookery_keys_tune_the_fast_policy()
    {
        var errors = new List<string>();
        var options = LinkTimingOptions.FromInterfaceKeys(new Dictionary<string, string>
        {
            ["link_ping_interval"] = "50",
            ["link_down_timeout"] = "400",
            ["link_suspect_timeout"] = "120",
            ["link_probe_interval"] = "20",
            ["link_flap_damping"] = "no",
            ["link_hedging"] = "off",
        }, s_token, errors);

        Assert.Empty(errors);
        Assert.Equal(new LinkTimingOptions
        {
            PingInterval = Duration.FromMilliseconds(50),

            // Unset, the standby interval follows the detection target: one ping per link_down_timeout.
            StandbyPingInterval = Duration.FromMilliseconds(400),
            DownTimeout = Duration.FromMilliseconds(400),
            SuspectTimeout = Duration.FromMilliseconds(120),
            ProbeInterval = Duration.FromMilliseconds(20),
            FlapDamping = false,
            Hedging = false,
        }, options);
    }

    [Fact]
    public void Every_bad_value_is_reported_with_its_key()
    {
        var errors = new List<string>();
        LinkTimingOptions.FromInterfaceKeys(new Dictionary<string, string>
        {
            ["link_ping_interval"] = "fast",
            ["link_down_timeout"] = "40",
            ["link_suspect_timeout"] = "60",
            ["link_flap_damping"] = "maybe",
            ["knet_pong_count"] = "256",
        }, s_token, errors);

        Assert.Contains(errors, e => e.StartsWith("link_ping_interval: 'fast'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("link_flap_damping: 'maybe'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("knet_pong_count: '256'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("link_down_timeout: 40 ms must be at least twice", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("link_suspect_timeout: 60 ms must be below", StringComparison.Ordinal));
    }

    [Fact]
    public void Zero_in_knets_timer_keys_means_not_set_as_in_corosync()
    {
        var errors = new List<string>();
        var options = LinkTimingOptions.FromInterfaceKeys(new Dictionary<string, string> { ["knet_pong_count"] = "0", ["knet_ping_interval"] = "0" }, s_token, errors);

        Assert.Empty(errors);
        Assert.Equal(LinkTimingOptions.Fast, options);
    }
}
