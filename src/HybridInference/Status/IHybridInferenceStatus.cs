namespace HybridInference;

/// <summary>Reports the hybrid client's state for dashboards, health endpoints and logs; registered by <c>AddHybridInference</c>.</summary>
public interface IHybridInferenceStatus
{
    /// <summary>Takes a snapshot: every backend's health, load, latency and recent results, and the breaker's state.</summary>
    /// <returns>The snapshot; it does not change afterwards.</returns>
    HybridInferenceStatus GetStatus();
}
