using HybridInference.Internal;

namespace HybridInference.CircuitBreaker;

/// <summary>
/// The clock of one lane's breaker: the chain's <see cref="TimeProvider"/>, which a passed health probe may move
/// forward to the end of an open circuit's break. Polly's breaker goes from open to half-open only when its clock
/// reaches the end of the break, so moving this clock is how the break ends early while Polly keeps the state
/// machine (the single trial, reopening when it fails).
/// </summary>
/// <remarks>
/// The clock moves only while the circuit is open and nothing passes it, and only to where it would stand at the end
/// of the break: the breakers' sampling windows then look as they would after a break that ran its course. It never
/// moves back. On the system clock its wall-clock time is the <see cref="CoarseClock"/> (Polly reads it on every call
/// for the sampling window; a millisecond's resolution is ample for windows and breaks of seconds). Timestamps, timers
/// and the time zone are the inner clock's.
/// </remarks>
internal sealed class LaneClock(TimeProvider inner) : TimeProvider
{
    private readonly bool _coarse = CoarseClock.CanReplace(inner);
    private long _offsetTicks;

    /// <inheritdoc/>
    public override TimeZoneInfo LocalTimeZone => inner.LocalTimeZone;

    /// <inheritdoc/>
    public override long TimestampFrequency => inner.TimestampFrequency;

    /// <inheritdoc/>
    public override DateTimeOffset GetUtcNow() => new(UtcTicks() + Volatile.Read(ref _offsetTicks), TimeSpan.Zero);

    /// <inheritdoc/>
    public override long GetTimestamp() => inner.GetTimestamp();

    /// <inheritdoc/>
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        inner.CreateTimer(callback, state, dueTime, period);

    /// <summary>Moves the clock forward so that it reads at least <paramref name="utcTicks"/> now; never back.</summary>
    /// <returns>Whether the clock moved (false when it already read that late).</returns>
    public bool MoveTo(long utcTicks)
    {
        var needed = utcTicks - UtcTicks();
        var offset = Volatile.Read(ref _offsetTicks);
        while (needed > offset)
        {
            var seen = Interlocked.CompareExchange(ref _offsetTicks, needed, offset);
            if (seen == offset)
            {
                return true;
            }

            offset = seen;
        }

        return false;
    }

    /// <summary>The inner clock's wall-clock time, in UTC ticks.</summary>
    private long UtcTicks() => _coarse ? CoarseClock.UtcTicks : inner.GetUtcNow().UtcTicks;
}
