using System.Diagnostics;

namespace Rookery.Node.Tests.Transport;

/// <summary>Waits for a condition with a deadline (never sleep-and-hope).</summary>
internal static class Eventually
{
    public static async Task<bool> TrueAsync(Func<bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout)
            {
                return condition();
            }

            await Task.Delay(5, TestContext.Current.CancellationToken);
        }

        return true;
    }
}
