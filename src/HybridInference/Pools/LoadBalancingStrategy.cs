namespace HybridInference;

/// <summary>How a lane's pool chooses the backend for each request.</summary>
public enum LoadBalancingStrategy
{
    /// <summary>The backends in configuration order: the next one only when the one before fails, is full or ejected (fallback models). The cloud lane's default.</summary>
    Ordered,

    /// <summary>Smooth weighted round robin: each backend gets its <see cref="BackendOptions.Weight"/>'s share of requests, interleaved. The local lane's default.</summary>
    WeightedRoundRobin,

    /// <summary>The backend with the fewest requests in flight for its weight; ties go round robin.</summary>
    LeastOutstanding,

    /// <summary>Two backends drawn at random by weight; the one with the lower latency (moving average) times requests in flight wins.</summary>
    PowerOfTwoChoices,
}
