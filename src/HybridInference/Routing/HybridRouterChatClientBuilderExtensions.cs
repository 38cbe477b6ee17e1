using HybridInference.Classification;
using HybridInference.Internal;
using HybridInference.Pools;
using HybridInference.Privacy;
using HybridInference.Routing;
using Microsoft.Extensions.AI;

namespace HybridInference;

/// <summary>Adds the hybrid router to a chain.</summary>
public static class HybridRouterChatClientBuilderExtensions
{
    /// <summary>
    /// Adds the router: everything after it in the chain is the local lane; <paramref name="cloudLane"/> is where
    /// requests go that the policy sends to the cloud.
    /// </summary>
    /// <param name="builder">The chain.</param>
    /// <param name="cloudLane">The cloud lane, or <see langword="null"/> for offline mode (everything local).</param>
    /// <param name="policy">The routing rules; <see cref="DefaultRoutingPolicy"/> with the default local context limit when <see langword="null"/>.</param>
    /// <param name="hedgeDelay">The latency budget of routable local requests (see <see cref="RoutingOptions.HedgeDelay"/>); <see langword="null"/> for no hedging.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static ChatClientChainBuilder UseHybridRouter(this ChatClientChainBuilder builder, IChatClient? cloudLane, IRoutingPolicy? policy = null, TimeSpan? hedgeDelay = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (hedgeDelay is { } delay)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(delay, TimeSpan.Zero, nameof(hedgeDelay));
        }

        return builder.Use((inner, services) =>
        {
            var largestWindow = inner.GetService<BackendPoolChatClient>() is { } pool
                ? pool.Backends.Max(b => b.Info.ContextWindow)
                : null;
#pragma warning disable MEAI001 // RoutingChatClient is experimental.
            return new HybridRouterChatClient(
                inner,
                cloudLane is null ? null : new PiiRedactingChatClient(cloudLane),
                policy ?? services.GetService(typeof(IRoutingPolicy)) as IRoutingPolicy ?? new DefaultRoutingPolicy(Defaults.LocalContextLimit),
                largestWindow,
                new TaskClassifier(new ClassificationOptions(), ChainServices.TokenCounter(services)),
                ChainServices.Validator(services),
                ChainServices.Logger<HybridRouterChatClient>(services),
                hedgeDelay is { } budget ? new HedgingSettings(budget, ChainServices.Time(services), ChainServices.Metrics(services)) : null);
#pragma warning restore MEAI001
        });
    }
}
