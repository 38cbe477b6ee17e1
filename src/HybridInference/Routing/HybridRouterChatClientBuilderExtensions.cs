using HybridInference.Classification;
using HybridInference.Internal;
using HybridInference.Pools;
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
    /// <returns><paramref name="builder"/>.</returns>
    public static ChatClientChainBuilder UseHybridRouter(this ChatClientChainBuilder builder, IChatClient? cloudLane, IRoutingPolicy? policy = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((inner, services) =>
        {
            var largestWindow = inner.GetService<BackendPoolChatClient>() is { } pool
                ? pool.Backends.Max(b => b.Info.ContextWindow)
                : null;
#pragma warning disable MEAI001 // RoutingChatClient is experimental.
            return new HybridRouterChatClient(
                inner,
                cloudLane,
                policy ?? services.GetService(typeof(IRoutingPolicy)) as IRoutingPolicy ?? new DefaultRoutingPolicy(Defaults.LocalContextLimit),
                largestWindow,
                new TaskClassifier(new ClassificationOptions(), ChainServices.TokenCounter(services)),
                ChainServices.Validator(services),
                ChainServices.Logger<HybridRouterChatClient>(services));
#pragma warning restore MEAI001
        });
    }
}
