using System.Text;
using System.Text.Json;
using CsCheck;
using Rookery.Cli.Formatting;
using Rookery.Control;

namespace Rookery.Cli.Tests;

public sealed class GroupEventFormatterTests
{
    [Fact]
    public void Sequence_numbers_survive_the_payload_for_any_size() =>
        Gen.Select(Gen.ULong, Gen.Int[GroupEventFormatter.SequencedSizeMin, 4096]).Sample((sequence, size) =>
        {
            var payload = GroupEventFormatter.SequencedPayload(sequence, size);
            return payload.Length == size && GroupEventFormatter.TryReadSequence(payload) == sequence;
        });

    [Fact]
    public void A_payload_not_from_group_send_has_no_sequence_number()
    {
        Assert.Null(GroupEventFormatter.TryReadSequence(Encoding.ASCII.GetBytes("hello world, no marker")));
        Assert.Null(GroupEventFormatter.TryReadSequence(GroupEventFormatter.SequencedPayload(7, 12).AsSpan(0, 11)));
    }

    [Fact]
    public void Deliver_line_has_the_documented_fields()
    {
        var data = GroupEventFormatter.SequencedPayload(42, 100);
        var line = GroupEventFormatter.ToJsonLine(new GroupEvent(GroupEvent.Deliver, "g", 2, 1234, data.Length, data, null, null, null, "1.1c", 1764129000.123456m));

        using var document = JsonDocument.Parse(line);
        var root = document.RootElement;
        Assert.Equal(
            ["event", "group", "nodeid", "pid", "seq", "size", "ring_id", "time"],
            root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(42ul, root.GetProperty("seq").GetUInt64());
        Assert.Equal(100, root.GetProperty("size").GetInt32());
        Assert.Contains("\"time\":1764129000.123456", line, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', line);
    }

    [Fact]
    public void Membership_line_has_the_documented_fields()
    {
        var line = GroupEventFormatter.ToJsonLine(new GroupEvent(
            GroupEvent.Membership, "g", null, null, null, null,
            [new GroupMember(1, 10), new GroupMember(2, 20)], [new GroupMember(2, 20, GroupMember.ReasonJoin)], [], "2.20", 1.5m));

        using var document = JsonDocument.Parse(line);
        var root = document.RootElement;
        Assert.Equal(["event", "group", "members", "joined", "left", "ring_id", "time"], root.EnumerateObject().Select(p => p.Name));
        Assert.Equal(2, root.GetProperty("members").GetArrayLength());
        Assert.Equal("join", root.GetProperty("joined")[0].GetProperty("reason").GetString());
    }

    [Fact]
    public void Unix_time_has_microsecond_precision()
    {
        var time = DateTimeOffset.FromUnixTimeMilliseconds(1764129000123).AddTicks(4560);

        Assert.Equal(1764129000.123456m, GroupEvent.UnixTime(time));
    }
}
