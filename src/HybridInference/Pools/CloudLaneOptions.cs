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

    /// <summary>Gets or sets the cloud request budget per minute across all cloud backends. Default 1000; at least 1.</summary>
    [Range(1, int.MaxValue)]
    public int RequestsPerMinute { get; set; } = Defaults.CloudRequestsPerMinute;
}
