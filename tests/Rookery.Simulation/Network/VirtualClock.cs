namespace Rookery.Simulation.Network;

/// <summary>Simulated time: starts at zero and only moves forward when the driver says so.</summary>
public sealed class VirtualClock
{
    /// <summary>The current simulated instant.</summary>
    public Instant Now { get; private set; } = Instant.Zero;

    /// <summary>Moves the clock to <paramref name="instant"/>, which must not be in the past.</summary>
    public void AdvanceTo(Instant instant)
    {
        Invariant.Require(instant >= Now);
        Now = instant;
    }
}
