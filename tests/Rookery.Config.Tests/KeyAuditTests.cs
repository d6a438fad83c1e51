namespace Rookery.Config.Tests;

/// <summary>
/// Goal: every key Rookery reads is accounted for (issue 9 point 8): applied at start, at reload, checked, refused
/// with a message, or warned about; none silently ignored.
/// Method: compare the audit with the catalog; then set each refused key to a value other than its default and each
/// key without effect to any value in an otherwise valid file, and read what <c>config check</c>'s validation says.
/// </summary>
public sealed class KeyAuditTests
{
    /// <summary>A value other than the default for each refused key and any value for each key without effect.</summary>
    private static readonly Dictionary<string, string> s_samples = new(StringComparer.Ordinal)
    {
        ["totem.ip_dscp"] = "ef",
        ["totem.knet_compression_model"] = "zlib",
        ["totem.knet_compression_threshold"] = "100",
        ["totem.knet_compression_level"] = "1",
        ["totem.downcheck"] = "2000",
        ["totem.heartbeat_failures_allowed"] = "3",
        ["totem.max_network_delay"] = "50",
        ["totem.block_unlisted_ips"] = "no",
        ["totem.threads"] = "2",
        ["quorum.leaving_timeout"] = "1000",
        ["quorum.device.timeout"] = "10000",
        ["quorum.device.sync_timeout"] = "30000",
        ["quorum.device.master_wins"] = "1",
        ["system.qb_ipc_type"] = "shm",
        ["system.sched_rr"] = "no",
        ["system.move_to_root_cgroup"] = "no",
        ["system.allow_knet_handle_fallback"] = "no",
        ["resources.watchdog_timeout"] = "6",
    };

    public static TheoryData<string> RefusedOrWithoutEffect => [.. KeyAudit.Entries
        .Where(e => e.Value.Effect is KeyEffect.Refused or KeyEffect.NoEffect && e.Key != "totem.nodeid")
        .Select(e => e.Key)];

    [Fact]
    public void Every_catalog_key_has_exactly_one_audit_entry()
    {
        Assert.Equal(KeyCatalog.All.Select(s => s.Path).Order(StringComparer.Ordinal), KeyAudit.Entries.Keys.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(RefusedOrWithoutEffect))]
    public void A_refused_key_is_an_error_and_a_key_without_effect_a_warning_naming_it(string path)
    {
        var spec = KeyCatalog.Find(path)!;
        var effect = KeyAudit.Of(spec).Effect;
        var value = Assert.Contains(path, s_samples);
        var text = spec.Section switch
        {
            "totem" => ValidatorTests.Build(totem: $"{spec.Key}: {value}"),
            "quorum" => ValidatorTests.Build(quorum: $"provider: corosync_votequorum\n  {spec.Key}: {value}"),
            "quorum.device" => ValidatorTests.Build(quorum: $"provider: corosync_votequorum\n  device {{\n    {spec.Key}: {value}\n  }}"),
            _ => ValidatorTests.Build() + $"\n{spec.Section} {{\n  {spec.Key}: {value}\n}}\n",
        };

        var diagnostics = ConfigLoader.Load(text, "f.conf").Diagnostics.Where(d => d.Message.StartsWith(path, StringComparison.Ordinal)).ToList();

        var finding = Assert.Single(diagnostics);
        Assert.Equal(effect == KeyEffect.Refused, finding.IsError);
        Assert.Contains(KeyAudit.Of(spec).Note, finding.Message, StringComparison.Ordinal);
        var line = text.Split('\n').ToList().FindIndex(l => l.Trim() == $"{spec.Key}: {value}") + 1;
        Assert.Equal(line, finding.Line);
    }

    [Fact]
    public void Ip_version_excludes_address_literals_of_the_other_family()
    {
        var errors = ConfigLoader.Load(ValidatorTests.Build(totem: "ip_version: ipv6"), "f.conf").Errors.Select(e => e.Message).ToList();

        Assert.Contains("ring0_addr '10.10.10.1' for node 'n1' is an IPv4 address but totem.ip_version is ipv6", errors);
        Assert.Empty(ConfigLoader.Load(ValidatorTests.Build(totem: "ip_version: ipv4"), "f.conf").Errors);
        Assert.Empty(ConfigLoader.Load(ValidatorTests.Build(totem: "ip_version: ipv6-4"), "f.conf").Errors);
    }

    [Theory]
    [InlineData("ip_dscp: cs0")]
    [InlineData("knet_compression_model: none")]
    [InlineData("heartbeat_failures_allowed: 0")]
    [InlineData("block_unlisted_ips: yes")]
    public void A_refused_totem_key_at_its_default_is_accepted(string line)
    {
        var result = ConfigLoader.Load(ValidatorTests.Build(totem: line), "f.conf");

        Assert.Empty(result.Diagnostics);
    }
}
