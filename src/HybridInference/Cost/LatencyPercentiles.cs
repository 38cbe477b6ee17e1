namespace HybridInference;

/// <summary>Latency percentiles of a set of requests (nearest rank).</summary>
/// <param name="Count">The number of requests.</param>
/// <param name="P50">The median.</param>
/// <param name="P95">The 95th percentile.</param>
/// <param name="P99">The 99th percentile.</param>
public readonly record struct LatencyPercentiles(long Count, TimeSpan P50, TimeSpan P95, TimeSpan P99);
