using HybridInference.Internal;
using HybridInference.RateLimiting;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace HybridInference;

/// <summary>Adds the cloud budget to the cloud lane.</summary>
public static class CloudRateLimitChatClientBuilderExtensions
{
    /// <summary>
    /// Adds the cloud budget (requests and tokens per minute, sliding windows) to the cloud lane, before its breaker
    /// so that a request held back by it never counts as a cloud failure: each request takes a permit first, waiting
    /// up to <see cref="CloudLaneOptions.RateLimitQueueTime"/>, or fails with <see cref="CloudRateLimitExceededException"/>
    /// before anything is sent. The router reads the budget: a request that may run locally is not sent to the cloud
    /// while the budget has no room.
    /// </summary>
    /// <param name="builder">The cloud lane's pipeline.</param>
    /// <param name="options">The budget (<see cref="CloudLaneOptions.RequestsPerMinute"/>, <see cref="CloudLaneOptions.TokensPerMinute"/>, <see cref="CloudLaneOptions.RateLimitQueueTime"/>); the defaults when <see langword="null"/>.</param>
    /// <param name="configure">
    /// Changes the budget when the pipeline is built, the way <c>UseLogging</c>'s <c>configure</c> does: it runs on
    /// <paramref name="options"/> (or on new defaults) before the budget is made. Optional.
    /// </param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <remarks>
    /// The windows move on the <see cref="TimeProvider"/> in the services. With an <see cref="ISharedCloudBudget"/> in
    /// the services (the replicas' one budget), each request takes its permit there first; the lane's own windows
    /// decide whenever it cannot answer.
    /// </remarks>
    public static ChatClientBuilder UseCloudBudget(this ChatClientBuilder builder, CloudLaneOptions? options = null, Action<CloudLaneOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((inner, services) =>
        {
            var budget = options ?? new CloudLaneOptions();
            configure?.Invoke(budget);
            return new CloudRateLimitChatClient(
                inner, new CloudRateLimiter(
                    budget.RequestsPerMinute, budget.TokensPerMinute, budget.RateLimitQueueTime, ChainServices.Time(services), services.GetService<ISharedCloudBudget>()));
        });
    }
}
