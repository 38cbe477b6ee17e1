using System.Runtime.CompilerServices;
using HybridInference.Internal;
using Microsoft.Extensions.AI;

namespace HybridInference.RateLimiting;

/// <summary>
/// Puts the cloud lane behind the cloud budget: every request (routed there or escalated) takes a permit first,
/// waiting up to the queue time; without one it fails with <see cref="CloudRateLimitExceededException"/> before
/// anything is sent. The budget is also an input to the router's decision (<see cref="CloudRateLimiter.HasRoomNow"/>,
/// exposed through <see cref="GetService"/>): a request that may run locally is not sent here while there is no room.
/// </summary>
internal sealed class CloudRateLimitChatClient(IChatClient cloudLane, CloudRateLimiter limiter) : DelegatingChatClient(cloudLane)
{
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        using var lease = await AcquireAsync(options, cancellationToken).ConfigureAwait(false);
        return await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        using var lease = await AcquireAsync(options, cancellationToken).ConfigureAwait(false);
        await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            yield return update;
        }
    }

    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType == typeof(CloudRateLimiter) ? limiter : base.GetService(serviceType, serviceKey);
    }

    private async ValueTask<IDisposable> AcquireAsync(ChatOptions? options, CancellationToken cancellationToken)
    {
        var tokens = RequestState.Find(options)?.Profile?.BudgetTokens ?? 1;
        return await limiter.AcquireAsync(tokens, cancellationToken).ConfigureAwait(false)
            ?? throw new CloudRateLimitExceededException(
                $"The cloud budget (Cloud:RequestsPerMinute, Cloud:TokensPerMinute) had no room within {limiter.QueueTime.TotalSeconds:0.###} s; nothing was sent to the cloud.");
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            limiter.Dispose();
        }

        base.Dispose(disposing);
    }
}
