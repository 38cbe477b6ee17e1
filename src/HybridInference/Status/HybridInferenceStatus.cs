using Polly.CircuitBreaker;

namespace HybridInference;

/// <summary>A snapshot of the hybrid client: every backend's health and load, and each lane's circuit breaker.</summary>
public sealed record HybridInferenceStatus
{
    /// <summary>Gets when the snapshot was taken.</summary>
    public required DateTimeOffset TakenAt { get; init; }

    /// <summary>Gets the backends, local lane first, each in configuration order.</summary>
    public required IReadOnlyList<BackendStatus> Backends { get; init; }

    /// <summary>Gets the state of the local lane's circuit breaker (Closed when the chain has none).</summary>
    public required CircuitState LocalCircuit { get; init; }

    /// <summary>Gets the local attempts the circuit breaker counted as failures since start, by reason.</summary>
    public required IReadOnlyDictionary<CircuitFailureReason, long> LocalCircuitFailures { get; init; }

    /// <summary>Gets the state of the cloud lane's circuit breaker (Closed when there is no cloud lane).</summary>
    public CircuitState CloudCircuit { get; init; }

    /// <summary>Gets the cloud attempts the cloud circuit breaker counted as failures since start, by reason.</summary>
    public IReadOnlyDictionary<CircuitFailureReason, long> CloudCircuitFailures { get; init; } = new Dictionary<CircuitFailureReason, long>();

    /// <summary>Gets the outbox of cloud refinements; <see langword="null"/> when the chain has no cloud lane (nothing is refined).</summary>
    public OutboxStatus? Outbox { get; init; }
}
