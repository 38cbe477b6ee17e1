namespace HybridInference;

/// <summary>The local backends (configuration section <c>HybridInference:Local</c>); at least one is required (here or by code).</summary>
public sealed class LocalLaneOptions : BackendLaneOptions
{
    /// <summary>Gets or sets how the pool chooses a local backend. Default <see cref="LoadBalancingStrategy.WeightedRoundRobin"/>.</summary>
    public override LoadBalancingStrategy LoadBalancing { get; set; } = LoadBalancingStrategy.WeightedRoundRobin;

    /// <summary>
    /// Gets how a conversation too long for the local window is fitted to it (<c>HybridInference:Local:History</c>):
    /// off, trimmed or summarized by a local model. Default off.
    /// </summary>
    [Microsoft.Extensions.Options.ValidateObjectMembers]
    public HistoryOptions History { get; } = new();
}
