using HybridInference.CircuitBreaker;
using HybridInference.Pools;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Polly.CircuitBreaker;

namespace HybridInference.Status;

/// <summary>The pools and breaker of the hybrid client built from the services, recorded when it is built so that the status can read them.</summary>
internal sealed class ChainComponents
{
    private volatile BackendPoolChatClient[] _pools = [];

    /// <summary>Gets the pools, local first.</summary>
    public IReadOnlyList<BackendPoolChatClient> Pools => _pools;

    /// <summary>Gets or sets the local lane's circuit breaker.</summary>
    public LaneCircuit? LocalCircuit { get; set; }

    /// <summary>Gets or sets the cloud lane's circuit breaker.</summary>
    public LaneCircuit? CloudCircuit { get; set; }

    /// <summary>Gets or sets a value indicating whether the chain refines local answers in the cloud (it has a cloud lane).</summary>
    public bool Refines { get; set; }

    /// <summary>Records the pools of the chain just built.</summary>
    public void SetPools(params BackendPoolChatClient?[] pools) => _pools = [.. pools.OfType<BackendPoolChatClient>()];
}

/// <summary>Takes <see cref="HybridInferenceStatus"/> snapshots of the hybrid client in the services (building it if it was not yet).</summary>
internal sealed class HybridInferenceStatusProvider(IServiceProvider services, ChainComponents components, TimeProvider timeProvider, Refinement.RefinementCoordinator refinements) : IHybridInferenceStatus
{
    public HybridInferenceStatus GetStatus()
    {
        _ = services.GetRequiredKeyedService<IChatClient>(HybridInferenceServiceCollectionExtensions.ChatClientKey);
        List<BackendStatus> backends = [];
        foreach (var pool in components.Pools)
        {
            foreach (var backend in pool.Backends)
            {
                backends.Add(backend.State.Snapshot(backend.Info));
            }
        }

        return new HybridInferenceStatus
        {
            TakenAt = timeProvider.GetUtcNow(),
            Backends = backends,
            LocalCircuit = components.LocalCircuit?.State ?? CircuitState.Closed,
            LocalCircuitFailures = components.LocalCircuit?.Failures ?? new Dictionary<CircuitFailureReason, long>(),
            CloudCircuit = components.CloudCircuit?.State ?? CircuitState.Closed,
            CloudCircuitFailures = components.CloudCircuit?.Failures ?? new Dictionary<CircuitFailureReason, long>(),
            Outbox = components.Refines ? refinements.Snapshot() : null,
        };
    }
}
