using System.Threading.RateLimiting;

namespace HybridInference.RateLimiting;

/// <summary>
/// A sliding-window <see cref="RateLimiter"/> (System.Threading.RateLimiting) whose window moves when
/// <see cref="Advance"/> is called, from a <see cref="TimeProvider"/> timer. The framework's own window limiters
/// read the real clock even when replenished by hand, so they cannot run on a fake clock in tests.
/// </summary>
/// <remarks>Thread-safe. Waiting acquisitions are retried each time the window moves; a large request is not starved by design, only by load.</remarks>
internal sealed class SlidingWindowBudget : RateLimiter
{
    private readonly Lock _gate = new();
    private readonly int[] _segments;
    private readonly int _limit;
    private int _current;
    private int _used;
    private TaskCompletionSource _moved = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Initializes a new instance of the <see cref="SlidingWindowBudget"/> class.</summary>
    /// <param name="limit">The permits the whole window allows.</param>
    /// <param name="segments">How many segments the window has; each <see cref="Advance"/> drops the oldest.</param>
    public SlidingWindowBudget(int limit, int segments)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(limit, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(segments, 1);
        _limit = limit;
        _segments = new int[segments];
    }

    /// <summary>Gets the permits the whole window allows.</summary>
    public int Limit => _limit;

    public override TimeSpan? IdleDuration => null;

    /// <summary>Moves the window one segment on: the permits taken in the oldest segment are free again.</summary>
    public void Advance()
    {
        TaskCompletionSource moved;
        lock (_gate)
        {
            _current = (_current + 1) % _segments.Length;
            _used -= _segments[_current];
            _segments[_current] = 0;
            moved = _moved;
            _moved = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        moved.TrySetResult();
    }

    /// <summary>Gets a task that completes the next time the window moves (permits may then be free).</summary>
    public Task Moved
    {
        get
        {
            lock (_gate)
            {
                return _moved.Task;
            }
        }
    }

    /// <summary>Gets the permits free now, without taking any.</summary>
    public int Available
    {
        get
        {
            lock (_gate)
            {
                return _limit - _used;
            }
        }
    }

    public override RateLimiterStatistics? GetStatistics()
    {
        lock (_gate)
        {
            return new RateLimiterStatistics { CurrentAvailablePermits = _limit - _used };
        }
    }

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(permitCount, _limit);
        lock (_gate)
        {
            if (_used + permitCount > _limit)
            {
                return Lease.Failed;
            }

            _used += permitCount;
            _segments[_current] += permitCount;
            return Lease.Acquired;
        }
    }

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task moved;
            lock (_gate)
            {
                moved = _moved.Task;
            }

            var lease = AttemptAcquireCore(permitCount);
            if (lease.IsAcquired)
            {
                return lease;
            }

            await moved.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A lease holds nothing to give back: permits return as the window slides.</summary>
    private sealed class Lease(bool acquired) : RateLimitLease
    {
        public static readonly Lease Acquired = new(true);
        public static readonly Lease Failed = new(false);

        public override bool IsAcquired => acquired;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }
    }
}
