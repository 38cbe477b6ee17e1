namespace HybridInference;

/// <summary>
/// The routing rules of the hybrid inference pattern: complex and safety-critical tasks go to the cloud, so do
/// prompts (plus requested output) over <see cref="LocalContextLimit"/>; JSON goes local with validation and
/// fallback; everything else goes local.
/// </summary>
public sealed class DefaultRoutingPolicy : IRoutingPolicy
{
    /// <summary>Initializes a new instance of the <see cref="DefaultRoutingPolicy"/> class.</summary>
    /// <param name="localContextLimit">The largest number of tokens (prompt plus requested output) sent to a local backend.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="localContextLimit"/> is not positive.</exception>
    public DefaultRoutingPolicy(int localContextLimit)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(localContextLimit);
        LocalContextLimit = localContextLimit;
    }

    /// <summary>Gets the largest number of tokens (prompt plus requested output) sent to a local backend.</summary>
    public int LocalContextLimit { get; }

    /// <inheritdoc />
    public RouteDecision Decide(TaskProfile profile)
    {
        ArgumentNullException.ThrowIfNull(profile);

        if (profile.Category is TaskCategory.Complex or TaskCategory.SafetyCritical)
        {
            return new(RouteTarget.Cloud, RouteReason.Category);
        }

        if (profile.RequiredContextTokens > LocalContextLimit)
        {
            return new(RouteTarget.Cloud, RouteReason.ContextLimit);
        }

        return profile.RequiresJson
            ? new(RouteTarget.Local, RouteReason.JsonRequired)
            : new(RouteTarget.Local, RouteReason.Default);
    }
}
