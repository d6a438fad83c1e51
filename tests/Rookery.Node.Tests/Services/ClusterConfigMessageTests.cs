using CsCheck;
using Rookery.Services;
using Rookery.Wire.Services;

namespace Rookery.Node.Tests.Services;

/// <summary>
/// Goal: MEMBER_REPORT (cfg 258) and CONFIG_APPLY (cfg 259) carry every field and line through the wire, and their
/// decoders never throw on untrusted bytes (cut, flipped, lengths that lie).
/// Method: CsCheck round trips of generated reports and files; every prefix and every single-byte change of an
/// encoded message is decoded.
/// </summary>
public sealed class ClusterConfigMessageTests
{
    private static readonly Gen<string> s_line = Gen.String[Gen.Char['\u0020', '\u2000'], 0, 300];

    [Fact]
    public void Member_report_round_trips_every_field_and_line() =>
        Gen.Select(Gen.UInt, Gen.ULong, Gen.Byte, s_line.List[0, 5], s_line.List[0, 5], s_line.List[0, 3]).Sample((requester, version, links, applied, refused, errors) =>
        {
            var digest = System.Security.Cryptography.SHA256.HashData(BitConverter.GetBytes(version));
            var report = new MemberReport(requester, version ^ 7, MemberRequestKind.ConfigApply, MemberOutcome.Refused, version, links, digest, applied, refused, errors);
            var status = ClusterConfigMessages.TryDecodeMemberReport(ClusterConfigMessages.EncodeMemberReport(3, report), out var decoded);
            return status == ServiceDecodeStatus.Ok
                && decoded!.Requester == requester && decoded.RequestId == (version ^ 7) && decoded.ConfigVersion == version
                && decoded.ConfiguredLinks == links && decoded.FileDigest.SequenceEqual(digest) && decoded.Kind == MemberRequestKind.ConfigApply
                && decoded.Outcome == MemberOutcome.Refused && decoded.Applied.SequenceEqual(applied) && decoded.Refused.SequenceEqual(refused)
                && decoded.Errors.SequenceEqual(errors);
        });

    [Fact]
    public void Config_apply_round_trips_the_file_text() =>
        Gen.Select(Gen.ULong, Gen.String[0, 2000], Gen.Bool).Sample((version, text, catchUp) =>
        {
            var request = new ConfigApplyRequest(version / 3, version, catchUp ? ConfigApplyKind.CatchUp : ConfigApplyKind.Edit, text);
            var encoded = ClusterConfigMessages.EncodeConfigApply(9, request);
            var status = ClusterConfigMessages.TryDecodeConfigApply(encoded, out var decoded);
            var expected = System.Text.Encoding.UTF8.GetString(System.Text.Encoding.UTF8.GetBytes(text));
            return status == ServiceDecodeStatus.Ok && decoded! == request with { Text = expected } && ClusterConfigMessages.SenderOf(encoded) == 9;
        });

    [Fact]
    public void Decoders_never_throw_on_cut_or_changed_bytes()
    {
        var report = ClusterConfigMessages.EncodeMemberReport(2, new MemberReport(1, 5, MemberRequestKind.Reload, MemberOutcome.Applied, 4, 3,
            new byte[ClusterConfigMessages.DigestSize], ["link 1 added: 10.20.20.2"], ["quorum.wait_for_all"], []));
        var apply = ClusterConfigMessages.EncodeConfigApply(2, new ConfigApplyRequest(1, 4, ConfigApplyKind.Edit, "totem {\n  version: 2\n}\n"));
        foreach (var message in new[] { report, apply })
        {
            for (var length = 0; length < message.Length; length++)
            {
                Assert.NotEqual(ServiceDecodeStatus.Ok, ClusterConfigMessages.TryDecodeMemberReport(message.AsSpan(0, length), out _));
                Assert.NotEqual(ServiceDecodeStatus.Ok, ClusterConfigMessages.TryDecodeConfigApply(message.AsSpan(0, length), out _));
            }

            for (var index = 0; index < message.Length; index++)
            {
                var changed = (byte[])message.Clone();
                changed[index] ^= 0xA5;
                ClusterConfigMessages.TryDecodeMemberReport(changed, out _);
                ClusterConfigMessages.TryDecodeConfigApply(changed, out _);
            }
        }
    }
}
