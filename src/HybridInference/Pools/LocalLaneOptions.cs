namespace HybridInference;

/// <summary>The local backends (configuration section <c>HybridInference:Local</c>); at least one is required (here or by code).</summary>
public sealed class LocalLaneOptions : BackendLaneOptions
{
    /// <summary>Gets or sets how the pool chooses a local backend. Default <see cref="LoadBalancingStrategy.WeightedRoundRobin"/>.</summary>
    public override LoadBalancingStrategy LoadBalancing { get; set; } = LoadBalancingStrategy.WeightedRoundRobin;
}
