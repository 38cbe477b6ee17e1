using System.ComponentModel.DataAnnotations;
using HybridInference.Internal;

namespace HybridInference;

/// <summary>The cloud backends (configuration section <c>HybridInference:Cloud</c>).</summary>
public sealed class CloudLaneOptions : BackendLaneOptions
{
    /// <summary>
    /// Gets or sets how the pool chooses a cloud backend. Default <see cref="LoadBalancingStrategy.Ordered"/>: the
    /// backends are fallback models, tried in configuration order.
    /// </summary>
    public override LoadBalancingStrategy LoadBalancing { get; set; } = LoadBalancingStrategy.Ordered;

    /// <summary>
    /// Gets or sets the cloud request budget per minute across all cloud backends (a sliding window of six
    /// ten-second segments). A request over budget waits up to <see cref="RateLimitQueueTime"/>; then it runs locally
    /// if it may (its category sent it to the cloud, not its size or an open breaker), else it fails with
    /// <see cref="CloudRateLimitExceededException"/>. Default 1000; at least 1.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int RequestsPerMinute { get; set; } = Defaults.CloudRequestsPerMinute;

    /// <summary>
    /// Gets or sets the cloud token budget per minute (estimated prompt plus requested output), enforced like
    /// <see cref="RequestsPerMinute"/>. Default: no token budget. At least 1 when set.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int? TokensPerMinute { get; set; }

    /// <summary>Gets or sets how long a request over the cloud budget waits for room. Default 2 seconds; 0 (do not wait) to one day.</summary>
    [Range(typeof(TimeSpan), "00:00:00", Defaults.MaximumDurationText)]
    public TimeSpan RateLimitQueueTime { get; set; } = Defaults.RateLimitQueueTime;
}
