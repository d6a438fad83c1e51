using System.Diagnostics;

namespace Rookery.Integration.Tests.Testbed;

/// <summary>Waits for a condition with a deadline (never sleep-and-hope).</summary>
public static class Eventually
{
    /// <summary>Polls <paramref name="condition"/> every <paramref name="poll"/> (default 10 ms) until it holds or <paramref name="timeout"/> passes.</summary>
    public static async Task<bool> TrueAsync(Func<bool> condition, TimeSpan timeout, TimeSpan? poll = null)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                return condition();
            }

            await Task.Delay(poll ?? TimeSpan.FromMilliseconds(10), TestContext.Current.CancellationToken);
        }

        return true;
    }
}
