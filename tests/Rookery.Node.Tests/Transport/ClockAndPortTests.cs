using Rookery.Config;
using Rookery.Node.Transport;

namespace Rookery.Node.Tests.Transport;

public sealed class ClockAndPortTests
{
    [Theory]
    [InlineData(0, 5405)]
    [InlineData(1, 5406)]
    [InlineData(7, 5412)]
    public void LinkPortIs5405PlusTheLinkNumber(byte link, int port) =>
        Assert.Equal(port, LinkPorts.For(new LinkId(link)));

    [Fact]
    public void McastportReplacesTheDefaultForThatLink()
    {
        Assert.Equal(6000, LinkPorts.For(new LinkId(2), mcastport: 6000));
        Assert.Throws<ArgumentOutOfRangeException>(() => LinkPorts.For(new LinkId(0), mcastport: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => LinkPorts.For(new LinkId(0), mcastport: 70000));
    }

    [Fact]
    public void ClockConvertsTicksToMicrosecondsFromItsOrigin()
    {
        var time = new SteppedTimeProvider(frequency: 10_000_000, start: 123_456_789);
        var clock = new MonotonicClock(time);
        Assert.Equal(Instant.Zero, clock.Now);

        time.Timestamp += 25_000_000; // 2.5 s at 10 MHz
        Assert.Equal(new Instant(2_500_000), clock.Now);

        time.Timestamp += 7; // 0.7 µs truncates
        Assert.Equal(new Instant(2_500_000), clock.Now);
    }

    [Fact]
    public void ClockDoesNotOverflowAfterAYearOfNanosecondTicks()
    {
        var time = new SteppedTimeProvider(frequency: 1_000_000_000, start: 0);
        var clock = new MonotonicClock(time);
        time.Timestamp = 365L * 24 * 3600 * 1_000_000_000;
        Assert.Equal(new Instant(365L * 24 * 3600 * 1_000_000), clock.Now);
    }

    [Fact]
    public void UntilIsZeroForPastDeadlinesAndInfiniteForNever()
    {
        var time = new SteppedTimeProvider(frequency: 1_000_000, start: 0);
        var clock = new MonotonicClock(time);
        time.Timestamp = 1_000;

        Assert.Equal(TimeSpan.Zero, clock.Until(new Instant(500)));
        Assert.Equal(TimeSpan.FromMicroseconds(2_000), clock.Until(new Instant(3_000)));
        Assert.Equal(Timeout.InfiniteTimeSpan, clock.Until(Instant.Never));
    }

    [Fact]
    public void SystemClockNeverGoesBackwards()
    {
        var clock = new MonotonicClock();
        var previous = clock.Now;
        for (var i = 0; i < 10_000; i++)
        {
            var now = clock.Now;
            Assert.True(now >= previous, $"{now} < {previous}");
            previous = now;
        }
    }

    private sealed class SteppedTimeProvider(long frequency, long start) : TimeProvider
    {
        public long Timestamp { get; set; } = start;

        public override long TimestampFrequency => frequency;

        public override long GetTimestamp() => Timestamp;
    }
}
