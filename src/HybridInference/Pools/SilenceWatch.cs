using HybridInference.Internal;

namespace HybridInference.Pools;

/// <summary>
/// The silence bound of one stream: the time spent waiting for the backend without a token, reset at every token,
/// may not pass the limit (the time-to-first-token limit until the first token, the backend's timeout after it).
/// When it does, <see cref="Token"/> is cancelled. Only the time an update is awaited counts: the time the caller
/// takes with one is not the backend's.
/// </summary>
/// <remarks>
/// Lazy: the stream marks the start and end of each wait with a timestamp (no timer is touched per update); one timer
/// checks the account when the limit could first pass, and reschedules itself for the remainder when it has not.
/// On the system clock the timestamp is the <see cref="CoarseClock"/> (<see cref="Environment.TickCount64"/>: a few nanoseconds,
/// millisecond resolution, ample for limits of seconds) instead of the precise one (about 50 ns a reading on a VM);
/// any other <see cref="TimeProvider"/> (a fake one in tests) is read as it is. One writer (the stream), one reader
/// (the timer): plain volatile reads and writes, no interlocked instruction per update.
/// </remarks>
internal sealed class SilenceWatch : IDisposable
{
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _firstTokenLimit;
    private readonly TimeSpan _limit;
    private readonly CancellationTokenSource _silence = new();
    private readonly ITimer _timer;
    private readonly bool _coarse;
    private readonly double _ticksPerTimestamp;
    private long _waitStarted;
    private long _silentTicks;
    private volatile bool _hadToken;

    /// <summary>Initializes a new instance of the <see cref="SilenceWatch"/> class.</summary>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="firstTokenLimit">The limit until the first token.</param>
    /// <param name="limit">The limit after it.</param>
    public SilenceWatch(TimeProvider timeProvider, TimeSpan firstTokenLimit, TimeSpan limit)
    {
        _timeProvider = timeProvider;
        _firstTokenLimit = firstTokenLimit;
        _limit = limit;
        _coarse = CoarseClock.CanReplace(timeProvider);
        _ticksPerTimestamp = (double)TimeSpan.TicksPerSecond / timeProvider.TimestampFrequency;
        _timer = timeProvider.CreateTimer(static state => ((SilenceWatch)state!).Check(), this, firstTokenLimit, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Gets the token cancelled when the silence passes the limit.</summary>
    public CancellationToken Token => _silence.Token;

    /// <summary>Gets a value indicating whether the silence passed the limit.</summary>
    public bool Expired => _silence.IsCancellationRequested;

    /// <summary>Gets a value indicating whether a token has arrived.</summary>
    public bool HadToken => _hadToken;

    /// <summary>Marks the start of a wait for the next update.</summary>
    public void BeginWait() => Volatile.Write(ref _waitStarted, Now());

    /// <summary>Marks the end of a wait: an update arrived, with a token or without.</summary>
    /// <remarks>A token resets the account, so it needs no clock reading; only a token-free update adds its wait.</remarks>
    public void EndWait(bool token)
    {
        var started = Volatile.Read(ref _waitStarted);
        Volatile.Write(ref _waitStarted, 0);
        if (token)
        {
            if (!_hadToken)
            {
                _hadToken = true;
            }

            if (Volatile.Read(ref _silentTicks) != 0)
            {
                Volatile.Write(ref _silentTicks, 0);
            }
        }
        else if (started != 0)
        {
            Volatile.Write(ref _silentTicks, Volatile.Read(ref _silentTicks) + (Now() - started));
        }
    }

    public void Dispose()
    {
        _timer.Dispose();
        _silence.Dispose();
    }

    private void Check()
    {
        var limit = _hadToken ? _limit : _firstTokenLimit;
        var started = Volatile.Read(ref _waitStarted);
        var silent = TimeSpan.FromTicks(Volatile.Read(ref _silentTicks) + (started == 0 ? 0 : Now() - started));
        if (started != 0 && silent >= limit)
        {
            try
            {
                _silence.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The stream ended as the limit passed.
            }

            return;
        }

        var left = limit - silent;
        try
        {
            _timer.Change(left > TimeSpan.FromMilliseconds(1) ? left : TimeSpan.FromMilliseconds(1), Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // The stream has ended.
        }
    }

    /// <summary>Reads the clock in <see cref="TimeSpan"/> ticks, never 0 (0 marks no wait).</summary>
    private long Now()
    {
        var ticks = _coarse
            ? CoarseClock.UtcTicks
            : (long)(_timeProvider.GetTimestamp() * _ticksPerTimestamp);
        return ticks == 0 ? 1 : ticks;
    }
}
