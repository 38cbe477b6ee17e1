using System.Threading.RateLimiting;

namespace HybridInference.RateLimiting;

/// <summary>
/// The cloud budget: requests per minute and, optionally, tokens per minute, as sliding-window
/// System.Threading.RateLimiting limiters (<see cref="SlidingWindowBudget"/>) whose windows move on a
/// <see cref="TimeProvider"/> timer, so that tests run them on a fake clock. With a <see cref="ISharedCloudBudget"/>
/// (the replicas' one budget), each request takes its permit there first and is counted in the local windows as well;
/// whenever the shared budget cannot answer, the local windows decide alone.
/// </summary>
internal sealed partial class CloudRateLimiter : IDisposable
{
    private readonly SlidingWindowBudget _requests;
    private readonly SlidingWindowBudget? _tokens;
    private readonly ITimer _replenish;
    private readonly TimeProvider _timeProvider;
    private readonly int _tokenLimit;

    public CloudRateLimiter(int requestsPerMinute, int? tokensPerMinute, TimeSpan queueTime, TimeProvider timeProvider, ISharedCloudBudget? shared = null)
    {
        QueueTime = queueTime;
        _shared = shared;
        _requestLimit = requestsPerMinute;
        _tokensPerMinute = tokensPerMinute;
        _timeProvider = timeProvider;
        _requests = Create(requestsPerMinute);
        _tokens = tokensPerMinute is { } tokens ? Create(tokens) : null;
        _tokenLimit = tokensPerMinute ?? int.MaxValue;
        var segment = TimeSpan.FromMinutes(1) / Internal.Defaults.RateLimitSegments;
        _replenish = timeProvider.CreateTimer(static state => ((CloudRateLimiter)state!).Replenish(), this, segment, segment);
    }

    /// <summary>Gets how long a request waits for room.</summary>
    public TimeSpan QueueTime { get; }

    /// <summary>Waits up to <see cref="QueueTime"/> for room for one request of about <paramref name="tokens"/> tokens.</summary>
    /// <returns>The leases to dispose when the request is done (they do not return permits: the window does); null when there was no room in time.</returns>
    /// <exception cref="OperationCanceledException">The caller cancelled.</exception>
    public async ValueTask<IDisposable?> AcquireAsync(int tokens, CancellationToken cancellationToken)
    {
        var permits = Math.Clamp(tokens, 1, _tokenLimit);
        if (_shared is not null)
        {
            var (answered, lease) = await AcquireSharedAsync(_shared, permits, cancellationToken).ConfigureAwait(false);
            if (answered)
            {
                return lease;
            }
        }

        if (QueueTime <= TimeSpan.Zero)
        {
            return TryAcquireNow(permits);
        }

        using var timeout = new CancellationTokenSource(QueueTime, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        RateLimitLease? request = null;
        try
        {
            request = await _requests.AcquireAsync(1, linked.Token).ConfigureAwait(false);
            if (!request.IsAcquired)
            {
                request.Dispose();
                return null;
            }

            if (_tokens is null)
            {
                return request;
            }

            // A request larger than the whole budget takes all of it rather than waiting forever.
            var token = await _tokens.AcquireAsync(permits, linked.Token).ConfigureAwait(false);
            if (!token.IsAcquired)
            {
                token.Dispose();
                request.Dispose();
                return null;
            }

            return new Leases(request, token);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            request?.Dispose();
            return null;
        }
    }

    /// <summary>
    /// Gets a value indicating whether a request of about <paramref name="tokens"/> tokens would get a permit now,
    /// without taking one: the router's input (reading it changes nothing).
    /// </summary>
    public bool HasRoomNow(int tokens) =>
        _shared?.HasRoom(tokens) != false
        && _requests.Available >= 1 && (_tokens is null || _tokens.Available >= Math.Clamp(tokens, 1, _tokenLimit));

    /// <summary>
    /// Waits up to <see cref="QueueTime"/> for the budget to have room for a request of about <paramref name="tokens"/>
    /// tokens, without taking a permit: the router's input for a request that could also run locally.
    /// </summary>
    /// <returns>Whether there is room.</returns>
    /// <exception cref="OperationCanceledException">The caller cancelled (or the request's deadline passed).</exception>
    public async ValueTask<bool> WaitForRoomAsync(int tokens, CancellationToken cancellationToken)
    {
        if (HasRoomNow(tokens))
        {
            return true;
        }

        if (QueueTime <= TimeSpan.Zero)
        {
            return false;
        }

        using var timeout = new CancellationTokenSource(QueueTime, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            while (true)
            {
                var moved = _requests.Moved;
                if (HasRoomNow(tokens))
                {
                    return true;
                }

                await moved.WaitAsync(linked.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    public void Dispose()
    {
        _replenish.Dispose();
        _requests.Dispose();
        _tokens?.Dispose();
    }

    private IDisposable? TryAcquireNow(int permits)
    {
        var request = _requests.AttemptAcquire(1);
        if (!request.IsAcquired)
        {
            request.Dispose();
            return null;
        }

        if (_tokens is null)
        {
            return request;
        }

        var token = _tokens.AttemptAcquire(permits);
        if (token.IsAcquired)
        {
            return new Leases(request, token);
        }

        token.Dispose();
        request.Dispose();
        return null;
    }

    private static SlidingWindowBudget Create(int perMinute) => new(perMinute, Internal.Defaults.RateLimitSegments);

    private void Replenish()
    {
        _requests.Advance();
        _tokens?.Advance();
    }

    private sealed class Leases(RateLimitLease request, RateLimitLease tokens) : IDisposable
    {
        public void Dispose()
        {
            request.Dispose();
            tokens.Dispose();
        }
    }
}
