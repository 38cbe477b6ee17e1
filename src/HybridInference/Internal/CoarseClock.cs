namespace HybridInference.Internal;

/// <summary>
/// The system's wall clock read coarsely: <see cref="Environment.TickCount64"/> (a few nanoseconds, millisecond
/// resolution) from a fixed origin, instead of a precise reading (about 20 to 50 ns on a VM). For clocks that only
/// measure spans of a second or more on the hot path: the breakers' sampling windows and breaks.
/// </summary>
/// <remarks>
/// It keeps its own time from start-up: a later step of the system's wall clock (NTP) is not followed, which only
/// shifts what such clocks read by the step, never the spans they measure.
/// </remarks>
internal static class CoarseClock
{
    private static readonly long OriginUtcTicks = TimeProvider.System.GetUtcNow().UtcTicks - (Environment.TickCount64 * TimeSpan.TicksPerMillisecond);

    /// <summary>Gets the wall-clock time now, in UTC ticks, to a millisecond or so.</summary>
    public static long UtcTicks => OriginUtcTicks + (Environment.TickCount64 * TimeSpan.TicksPerMillisecond);

    /// <summary>Whether <paramref name="timeProvider"/> is the system clock, which this may stand in for.</summary>
    public static bool CanReplace(TimeProvider timeProvider) => ReferenceEquals(timeProvider, TimeProvider.System);
}
