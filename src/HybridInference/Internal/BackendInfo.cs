namespace HybridInference.Internal;

/// <summary>What the chain knows about one configured backend: its name, lane, provider, model and limits.</summary>
/// <param name="Name">The backend's unique name.</param>
/// <param name="Lane">Local or cloud.</param>
/// <param name="Provider">The kind of server, as configured or as the client reports it.</param>
/// <param name="Model">The configured model, if any.</param>
/// <param name="ContextWindow">The model's context window in tokens, if declared.</param>
internal sealed record BackendInfo(string Name, BackendLane Lane, string Provider, string? Model, int? ContextWindow)
{
    /// <summary>Gets the backend's share of traffic relative to its lane's other backends.</summary>
    public int Weight { get; init; } = Defaults.BackendWeight;

    /// <summary>Gets the most requests the backend may have in flight at once; null for no limit.</summary>
    public int? MaxConcurrentRequests { get; init; }

    /// <summary>
    /// Gets the backend's <c>Timeout</c>: besides bounding each call in the backend's own client, the longest a stream
    /// may go without a token (before its first one and between two) before the attempt is abandoned.
    /// </summary>
    public TimeSpan Timeout { get; init; } = Defaults.BackendTimeout;

    /// <summary>Gets the value of the <c>target</c> metric tag.</summary>
    public string LaneTag { get; } = Lane == BackendLane.Local ? "local" : "cloud";
}
