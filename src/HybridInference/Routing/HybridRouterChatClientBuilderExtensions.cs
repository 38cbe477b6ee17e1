using HybridInference.Classification;
using HybridInference.Internal;
using HybridInference.Pools;
using HybridInference.Routing;
using Microsoft.Extensions.AI;

namespace HybridInference;

/// <summary>Adds the hybrid router to a pipeline.</summary>
public static class HybridRouterChatClientBuilderExtensions
{
    /// <summary>
    /// Adds the router, the end of the spine: the builder's inner client is the local lane; <paramref name="cloudLane"/>
    /// is where requests go that the policy sends to the cloud. It selects a lane per request from the request's
    /// profile, the policy and the lanes' states (their circuit breakers and the cloud budget, which it reads); it
    /// owns both lanes and disposes them.
    /// </summary>
    /// <param name="builder">The spine's pipeline, built on the local lane.</param>
    /// <param name="cloudLane">The cloud lane, or <see langword="null"/> for offline mode (everything local).</param>
    /// <param name="policy">
    /// The routing rules; the <see cref="IRoutingPolicy"/> in the services, or <see cref="DefaultRoutingPolicy"/> with
    /// the local context limit the local windows allow (the largest known one; 4096 while none is known), when <see langword="null"/>.
    /// </param>
    /// <param name="onCloudUnavailable">
    /// What a request that may run locally (sent to the cloud by its category or the policy) does when the cloud cannot
    /// answer it (<c>Routing:OnCloudUnavailable</c>): answered by the local lane at once (route reason
    /// <see cref="RouteReason.CloudUnavailable"/>) or failed with <see cref="CloudUnavailableException"/>, per category;
    /// the defaults (routine and complex work degrade, safety-critical work fails) when <see langword="null"/>.
    /// </param>
    /// <returns><paramref name="builder"/>.</returns>
    public static ChatClientBuilder UseHybridRouter(this ChatClientBuilder builder, IChatClient? cloudLane, IRoutingPolicy? policy = null, CloudUnavailableOptions? onCloudUnavailable = null) =>
        UseHybridRouter(builder, cloudLane, policy, onCloudUnavailable, deferrals: null);

    /// <summary>Adds the router, with the outbox that deferrable work waits in when the cloud cannot take it (<c>AddHybridInference</c> gives it).</summary>
    internal static ChatClientBuilder UseHybridRouter(
        this ChatClientBuilder builder, IChatClient? cloudLane, IRoutingPolicy? policy, CloudUnavailableOptions? onCloudUnavailable, Refinement.RefinementCoordinator? deferrals)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((inner, services) =>
        {
            var windows = inner.GetService<BackendPoolChatClient>()?.Windows;
            return new HybridRouterChatClient(
                inner,
                cloudLane,
                policy ?? services.GetService(typeof(IRoutingPolicy)) as IRoutingPolicy ?? new DefaultRoutingPolicy(localContextLimit: null, windows),
                windows,
                new TaskClassifier(new ClassificationOptions(), ChainServices.TokenCounter(services)),
                ChainServices.Logger<HybridRouterChatClient>(services),
                onCloudUnavailable ?? new CloudUnavailableOptions(),
                ChainServices.Metrics(services),
                deferrals);
        });
    }
}
