namespace HybridInference.Redis;

/// <summary>The defaults and names of the Redis coordination, in one place.</summary>
internal static class RedisDefaults
{
    /// <summary>The documented configuration section.</summary>
    public const string Section = "HybridInference:Redis";

    public const string KeyPrefix = "hybrid-inference";

    public static readonly TimeSpan OperationTimeout = TimeSpan.FromMilliseconds(10);

    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(1);

    public static readonly TimeSpan ReconnectInterval = TimeSpan.FromSeconds(1);

    /// <summary>The shared window's segments: the same six of ten seconds as the replica's own window.</summary>
    public const int BudgetSegments = 6;

    public static readonly TimeSpan BudgetWindow = TimeSpan.FromMinutes(1);

    public const string MeterName = "HybridInference";

    /// <summary>Redis calls answered locally instead (Redis unreachable or slower than <c>OperationTimeout</c>), by <see cref="OperationTag"/>.</summary>
    public const string Fallbacks = "hybrid_inference.redis.fallbacks";

    /// <summary>Outages: times a replica lost Redis and fell back to its own budget and breaker.</summary>
    public const string Outages = "hybrid_inference.redis.outages";

    /// <summary>Whether the replica uses Redis now (1) or its own state (0).</summary>
    public const string Available = "hybrid_inference.redis.available";

    /// <summary>Lane circuits opened here on another replica's decision, by <see cref="LaneTag"/>.</summary>
    public const string RemoteOpenings = "hybrid_inference.circuit.remote_openings";

    public const string OperationTag = "operation";
    public const string LaneTag = "lane";
    public const string BudgetOperation = "budget";
    public const string PublishOperation = "circuit_publish";
    public const string ReadOperation = "circuit_read";
}
