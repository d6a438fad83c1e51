using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;

namespace Rookery;

/// <summary>
/// Always-on assertions for programmer errors: broken invariants of our own state and impossible
/// states. They stay on in Release builds. Never use them to reject network input or configuration.
/// </summary>
public static class Invariant
{
    public static void Require(
        [DoesNotReturnIf(false)] bool condition,
        [CallerArgumentExpression(nameof(condition))] string? expression = null)
    {
        if (!condition)
        {
            Fail(expression);
        }
    }

    [DoesNotReturn]
    [MethodImpl(MethodImplOptions.NoInlining)]
    public static void Fail(string? expression) =>
        throw new InvariantViolationException($"Invariant violated: {expression}");
}

/// <summary>Thrown when an invariant fails. The daemon treats it as fatal; the simulator fails with the seed.</summary>
public sealed class InvariantViolationException(string message) : Exception(message);
