namespace HybridInference.Internal;

/// <summary>
/// Tells the wall-clock time of a <see cref="TimeProvider"/> timestamp already read, so that a request's start is one
/// clock reading (the timestamp its duration is measured from) instead of two. The wall clock is read again once a
/// minute, so the time told follows the system's clock within what it drifts from the timestamp in a minute.
/// </summary>
/// <remarks>Thread-safe: the origin is one immutable object, replaced whole.</remarks>
internal sealed class WallClock(TimeProvider timeProvider)
{
    private static readonly TimeSpan Rebase = TimeSpan.FromMinutes(1);
    private Origin? _origin;

    /// <summary>The wall-clock time at <paramref name="timestamp"/>, a reading of the provider's <see cref="TimeProvider.GetTimestamp"/>.</summary>
    public DateTimeOffset UtcAt(long timestamp)
    {
        var origin = Volatile.Read(ref _origin);
        if (origin is not null)
        {
            // A timestamp read just before another thread moved the origin lies a little before it: told all the same.
            var elapsed = timeProvider.GetElapsedTime(origin.Timestamp, timestamp);
            if (elapsed < Rebase && elapsed > -Rebase)
            {
                return origin.Utc + elapsed;
            }
        }

        var utc = timeProvider.GetUtcNow();
        Volatile.Write(ref _origin, new Origin(utc, timeProvider.GetTimestamp()));
        return utc;
    }

    private sealed record Origin(DateTimeOffset Utc, long Timestamp);
}
