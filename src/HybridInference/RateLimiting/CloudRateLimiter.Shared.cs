namespace HybridInference.RateLimiting;

/// <summary>The cloud budget's permits from the replicas' shared budget.</summary>
internal sealed partial class CloudRateLimiter
{
    private static readonly IDisposable NothingToReturn = new NoLease();
    private readonly ISharedCloudBudget? _shared;
    private readonly int _requestLimit;
    private readonly int? _tokensPerMinute;

    /// <summary>
    /// Takes a permit from the shared budget, waiting up to <see cref="QueueTime"/> while it has no room (asking again
    /// each time the local window moves, as the shared one moves on the same segments). A permit taken is counted in the
    /// local windows too, so that they hold this replica's recent sends if the shared budget is lost.
    /// </summary>
    /// <returns>
    /// Whether the shared budget answered, and the lease (<see langword="null"/> when it had no room in time). When it
    /// did not answer, the caller takes its permit from the local windows alone.
    /// </returns>
    private async ValueTask<(bool Answered, IDisposable? Lease)> AcquireSharedAsync(ISharedCloudBudget shared, int permits, CancellationToken cancellationToken)
    {
        var waitUntil = _timeProvider.GetUtcNow() + QueueTime;
        while (true)
        {
            var moved = _requests.Moved;
            var taken = await shared.TryAcquireAsync(_requestLimit, _tokensPerMinute, permits, cancellationToken).ConfigureAwait(false);
            if (taken is not { } answer)
            {
                return (false, null);
            }

            if (answer)
            {
                CountLocally(permits);
                return (true, NothingToReturn);
            }

            var left = waitUntil - _timeProvider.GetUtcNow();
            if (left <= TimeSpan.Zero)
            {
                return (true, null);
            }

            try
            {
                await moved.WaitAsync(left, _timeProvider, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                return (true, null);
            }
        }
    }

    /// <summary>Counts a permit the shared budget gave in the local windows (a full local window has counted enough).</summary>
    private void CountLocally(int permits)
    {
        _requests.AttemptAcquire(1).Dispose();
        _tokens?.AttemptAcquire(permits).Dispose();
    }

    /// <summary>A lease of the shared budget: nothing to give back, the window slides.</summary>
    private sealed class NoLease : IDisposable
    {
        public void Dispose()
        {
        }
    }
}
