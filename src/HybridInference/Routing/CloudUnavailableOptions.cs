namespace HybridInference;

/// <summary>
/// What a request whose category sent it to the cloud does when the cloud cannot answer it: unreachable, timing out,
/// 5xx, 429, its budget full or its breaker open (configuration section <c>HybridInference:Routing:OnCloudUnavailable</c>).
/// Degrading applies to requests that may run locally: sent to the cloud by their category or a policy (not by their
/// size), not <see cref="DataPolicy.LocalOnly"/> (those never reach the cloud), fitting the largest local window (with its
/// history reduced by <c>Local:History</c> if need be), and
/// with the local circuit breaker closed. Cloud refinements are never degraded: they are cloud work by nature. A
/// request that may not degrade but is deferrable (<see cref="HybridChatOptionsExtensions.AsDeferrable"/>) waits in
/// the outbox instead of failing.
/// </summary>
/// <remarks>
/// The same setting decides what the router does before a call: a category set to <see cref="CloudUnavailableAction.Fail"/>
/// is not moved to the local lane while the cloud breaker is open or the cloud budget is full; it fails with
/// <see cref="CloudUnavailableException"/> instead.
/// </remarks>
public sealed class CloudUnavailableOptions
{
    /// <summary>Gets or sets what happens to routine work (sent to the cloud by a policy, or while the local lane recovers). Default <see cref="CloudUnavailableAction.Degrade"/>.</summary>
    public CloudUnavailableAction Routine { get; set; } = CloudUnavailableAction.Degrade;

    /// <summary>Gets or sets what happens to complex work. Default <see cref="CloudUnavailableAction.Degrade"/>: a local answer beats none.</summary>
    public CloudUnavailableAction Complex { get; set; } = CloudUnavailableAction.Degrade;

    /// <summary>
    /// Gets or sets what happens to safety-critical work. Default <see cref="CloudUnavailableAction.Fail"/>: the caller
    /// gets <see cref="CloudUnavailableException"/> rather than an answer from a smaller model.
    /// </summary>
    public CloudUnavailableAction SafetyCritical { get; set; } = CloudUnavailableAction.Fail;

    /// <summary>Gets the action for <paramref name="category"/> (an unknown category fails).</summary>
    internal CloudUnavailableAction For(TaskCategory category) => category switch
    {
        TaskCategory.Routine => Routine,
        TaskCategory.Complex => Complex,
        TaskCategory.SafetyCritical => SafetyCritical,
        _ => CloudUnavailableAction.Fail,
    };

    /// <summary>Whether each category (by its value) degrades: read once when the chain is built, indexed per request.</summary>
    internal bool[] DegradingCategories()
    {
        var categories = Enum.GetValues<TaskCategory>();
        var degrades = new bool[categories.Length];
        foreach (var category in categories)
        {
            degrades[(int)category] = For(category) == CloudUnavailableAction.Degrade;
        }

        return degrades;
    }
}
