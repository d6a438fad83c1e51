using System.Buffers.Binary;
using CsCheck;
using Rookery.Services;
using Rookery.Wire.Services;

namespace Rookery.Node.Tests.Services;

public sealed class ServiceMessageTests
{
    [Fact]
    public void Cmap_config_version_message_has_the_captured_size_and_layout()
    {
        // wire-vectors.md §7: cmap MCAST with one totem.config_version item is 336 bytes, id 0 in group "a".
        var message = CmapMessages.EncodeConfigVersion(CmapMessages.Reason.Sync, 7);

        Assert.Equal(336, message.Length);
        Assert.Equal(0, BinaryPrimitives.ReadInt32LittleEndian(message));
        Assert.Equal(336, BinaryPrimitives.ReadInt32LittleEndian(message.AsSpan(8)));
        Assert.Equal(1, message[24]);
        Assert.Equal("totem.config_version"u8.Length, BinaryPrimitives.ReadUInt16LittleEndian(message.AsSpan(48)));
        Assert.True(message.AsSpan(56, 20).SequenceEqual("totem.config_version"u8));
        Assert.Equal(7ul, BinaryPrimitives.ReadUInt64LittleEndian(message.AsSpan(328)));
    }

    [Fact]
    public void Cmap_round_trips_any_version_and_reason() =>
        Gen.Select(Gen.ULong, Gen.Bool).Sample((version, newVersion) =>
        {
            var reason = newVersion ? CmapMessages.Reason.NewConfigVersion : CmapMessages.Reason.Sync;
            var status = CmapMessages.TryDecodeConfigVersion(CmapMessages.EncodeConfigVersion(reason, version), out var decodedReason, out var decoded);
            return status == ServiceDecodeStatus.Ok && decoded == version && decodedReason == reason;
        });

    [Fact]
    public void Every_truncation_of_a_cmap_message_is_rejected()
    {
        var message = CmapMessages.EncodeConfigVersion(CmapMessages.Reason.Sync, 3);
        for (var length = 0; length < message.Length; length++)
        {
            Assert.NotEqual(ServiceDecodeStatus.Ok, CmapMessages.TryDecodeConfigVersion(message.AsSpan(0, length), out _, out _));
        }
    }

    [Fact]
    public void A_cmap_item_for_another_key_is_invalid()
    {
        var message = CmapMessages.EncodeConfigVersion(CmapMessages.Reason.Sync, 3);
        message[60] = (byte)'X';

        Assert.Equal(ServiceDecodeStatus.InvalidField, CmapMessages.TryDecodeConfigVersion(message, out _, out _));
    }

    [Fact]
    public void Cfg_messages_round_trip()
    {
        Assert.Equal(ServiceDecodeStatus.Ok, CfgMessages.TryDecode(CfgMessages.EncodeReloadConfig(3, 99), out var reload));
        Assert.Equal((CfgMessages.ReloadConfigFunction, 3u, 99ul), (reload.Function, reload.NodeId, reload.RequestId));
        Assert.Equal(ServiceDecodeStatus.Ok, CfgMessages.TryDecode(CfgMessages.EncodeShutdown(2), out var shutdown));
        Assert.Equal((CfgMessages.ShutdownFunction, 2u), (shutdown.Function, shutdown.NodeId));
        Assert.Equal(ServiceDecodeStatus.Ok, CfgMessages.TryDecode(CfgMessages.EncodeLinkEnable(1, 7, enabled: false), out var link));
        Assert.Equal((CfgMessages.LinkEnableFunction, 7, false), (link.Function, link.Link, link.Enabled));
    }

    [Fact]
    public void Every_truncation_of_a_cfg_message_is_rejected_and_bad_fields_are_invalid()
    {
        foreach (var message in new[] { CfgMessages.EncodeReloadConfig(1, 2), CfgMessages.EncodeShutdown(1), CfgMessages.EncodeLinkEnable(1, 1, true) })
        {
            for (var length = 0; length < message.Length; length++)
            {
                Assert.NotEqual(ServiceDecodeStatus.Ok, CfgMessages.TryDecode(message.AsSpan(0, length), out _));
            }
        }

        var badLink = CfgMessages.EncodeLinkEnable(1, 1, true);
        badLink[24] = 8;
        Assert.Equal(ServiceDecodeStatus.InvalidField, CfgMessages.TryDecode(badLink, out _));
        var unknown = CfgMessages.EncodeShutdown(1);
        BinaryPrimitives.WriteInt32LittleEndian(unknown, ServiceIds.Make(ServiceIds.Cfg, 77));
        Assert.Equal(ServiceDecodeStatus.UnknownMessage, CfgMessages.TryDecode(unknown, out _));
    }

    [Fact]
    public void Random_bytes_never_throw() =>
        Gen.Byte.Array[0, 400].Sample(bytes =>
        {
            CmapMessages.TryDecodeConfigVersion(bytes, out _, out _);
            CfgMessages.TryDecode(bytes, out _);
        });
}
