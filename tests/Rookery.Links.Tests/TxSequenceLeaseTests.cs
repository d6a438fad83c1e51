using CsCheck;

namespace Rookery.Links.Tests;

/// <summary>
/// Goal: a restarted node's knet sequence numbers start far (more than knet's 4,096-deep window) past
/// every number its earlier incarnation used, whether it stopped right after a renewal or just before
/// the next one, also across the 16-bit wrap; the first start ever begins at 0 as knet does.
/// Method: drive <see cref="TxSequenceLease"/> through incarnations that send random amounts of packets
/// (CsCheck), persisting only what the lease asks to persist, and measure the distance.
/// </summary>
public sealed class TxSequenceLeaseTests
{
    [Fact]
    public void TheFirstStartBeginsAtZero()
    {
        Assert.Equal(0, TxSequenceLease.Begin(null).Start);
    }

    [Fact]
    public void EveryRestartStartsMoreThanAWindowPastTheLastNumberUsed()
    {
        Gen.Int[0, 30_000].Array[1, 12].Sample(incarnations =>
        {
            ushort? persisted = null;
            ushort? lastUsed = null;
            foreach (var sent in incarnations)
            {
                var lease = TxSequenceLease.Begin(persisted);
                if (lastUsed is { } last)
                {
                    var distance = unchecked((ushort)(lease.Start - last));
                    Assert.True(distance > 4096 && distance <= TxSequenceLease.Skip, $"start {lease.Start} is {distance} past the last number used {last}");
                }

                persisted = lease.Persisted;
                var current = lease.Start;
                for (var i = 0; i < sent; i++)
                {
                    current = unchecked((ushort)(current + 1));
                    if (lease.Renew(current) is { } renewed)
                    {
                        persisted = renewed;
                    }
                }

                lastUsed = current;
            }
        }, iter: 200);
    }
}
