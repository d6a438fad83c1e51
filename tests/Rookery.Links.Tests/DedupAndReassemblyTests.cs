namespace Rookery.Links.Tests;

public sealed class DedupAndReassemblyTests
{
    [Fact]
    public void The_window_remembers_the_last_4096_seqs_and_slides_forward()
    {
        var window = new DedupWindow();
        for (ushort seq = 1; seq <= 100; seq++)
        {
            Assert.False(window.IsDelivered(seq));
            window.MarkDelivered(seq);
        }

        Assert.True(window.IsDelivered(50));
        Assert.True(window.IsDelivered(100));
        Assert.False(window.IsDelivered(101));
        Assert.Equal(101, window.Reference);
    }

    [Fact]
    public void Seqs_wrap_around_65535_without_losing_history()
    {
        var window = new DedupWindow();
        for (var step = 0; step < 200; step++)
        {
            var seq = unchecked((ushort)(65_450 + step));
            if (seq == 0)
            {
                continue;
            }

            Assert.False(window.IsDelivered(seq), $"seq {seq}");
            window.MarkDelivered(seq);
        }

        Assert.True(window.IsDelivered(65_500));
        Assert.True(window.IsDelivered(100));
    }

    [Fact]
    public void A_far_jump_re_bases_the_window_and_a_reset_forgets_everything()
    {
        var window = new DedupWindow();
        window.IsDelivered(10);
        window.MarkDelivered(10);

        Assert.False(window.IsDelivered(30_000));
        Assert.False(window.IsDelivered(10));
        window.MarkDelivered(10);
        window.Reset(0);
        Assert.False(window.IsDelivered(10));
    }

    [Fact]
    public void Seqs_older_than_the_window_are_answered_as_new_after_a_re_base()
    {
        var window = new DedupWindow();
        for (ushort seq = 1; seq <= 5000; seq++)
        {
            window.IsDelivered(seq);
            window.MarkDelivered(seq);
        }

        Assert.True(window.IsDelivered(5000 - 4095));
        Assert.False(window.IsDelivered(5000 - 4096 - 10));
    }

    [Theory]
    [InlineData(1UL)]
    [InlineData(2UL)]
    [InlineData(3UL)]
    public void Reordered_and_duplicated_seqs_are_each_new_exactly_once_across_the_wrap(ulong seed)
    {
        // A sender's seqs 1..20 000 (wrapping at 65 535, skipping 0), each arriving up to three
        // times, displaced by up to 500 positions: active mode over links of different delay.
        var prng = new Prng(seed);
        var arrivals = new List<(long Order, ushort Seq)>();
        var seq = (ushort)60_000;
        for (var index = 0; index < 20_000; index++)
        {
            seq = unchecked((ushort)(seq + 1));
            seq = seq == 0 ? (ushort)1 : seq;
            var copies = 1 + (int)prng.NextBelow(3);
            for (var copy = 0; copy < copies; copy++)
            {
                arrivals.Add((index + (long)prng.NextBelow(500), seq));
            }
        }

        arrivals.Sort((a, b) => a.Order.CompareTo(b.Order));
        var window = new DedupWindow();
        var delivered = new HashSet<ushort>();
        foreach (var (_, arrival) in arrivals)
        {
            if (!window.IsDelivered(arrival))
            {
                Assert.True(delivered.Add(arrival), $"seed {seed}: seq {arrival} delivered twice");
                window.MarkDelivered(arrival);
            }
        }

        Assert.Equal(20_000, delivered.Count);
    }

    [Fact]
    public void Fragments_reassemble_in_any_order_and_copies_are_ignored()
    {
        var reassembler = new Reassembler();
        byte[][] parts = [[1, 2, 3], [4, 5, 6], [7]];

        Assert.Equal(Reassembler.Outcome.Pending, reassembler.Add(9, 3, 3, parts[2], out _, out _));
        Assert.Equal(Reassembler.Outcome.Pending, reassembler.Add(9, 3, 1, parts[0], out _, out _));
        Assert.Equal(Reassembler.Outcome.Duplicate, reassembler.Add(9, 3, 1, parts[0], out _, out _));
        Assert.Equal(Reassembler.Outcome.Complete, reassembler.Add(9, 3, 2, parts[1], out var message, out _));
        Assert.Equal([1, 2, 3, 4, 5, 6, 7], message);
    }

    [Fact]
    public void Inconsistent_or_oversized_fragments_are_rejected_and_old_partials_abandoned()
    {
        var reassembler = new Reassembler();
        Assert.Equal(Reassembler.Outcome.Pending, reassembler.Add(1, 2, 1, new byte[10], out _, out _));
        Assert.Equal(Reassembler.Outcome.Rejected, reassembler.Add(1, 3, 2, new byte[10], out _, out _));
        Assert.Equal(Reassembler.Outcome.Pending, reassembler.Add(2, 3, 1, new byte[40_000], out _, out _));
        Assert.Equal(Reassembler.Outcome.Rejected, reassembler.Add(2, 3, 2, new byte[40_000], out _, out _));

        Assert.Equal(Reassembler.Outcome.Pending, reassembler.Add(100, 2, 1, new byte[1], out _, out var evicted));
        Assert.Equal(1, evicted);
        Assert.Equal(0, reassembler.Clear() - 1);
    }

    [Fact]
    public void The_least_recently_updated_partial_is_evicted_when_all_buffers_are_busy()
    {
        var reassembler = new Reassembler();
        for (ushort seq = 1; seq <= LinksLimits.ReassemblyBuffersMax; seq++)
        {
            reassembler.Add(seq, 2, 1, [1], out _, out _);
        }

        Assert.Equal(Reassembler.Outcome.Pending, reassembler.Add(LinksLimits.ReassemblyBuffersMax + 1, 2, 1, [1], out _, out var evicted));
        Assert.Equal(1, evicted);
        Assert.Equal(Reassembler.Outcome.Pending, reassembler.Add(1, 2, 2, [2], out _, out _));
    }
}
