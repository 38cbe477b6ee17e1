using HybridInference.Internal;
using HybridInference.Pools;

namespace HybridInference;

/// <summary>
/// The routing rules of the hybrid inference pattern: complex and safety-critical tasks go to the cloud, so do
/// prompts (plus requested output) over <see cref="LocalContextLimit"/>; JSON goes local with validation and
/// fallback; everything else goes local.
/// </summary>
public sealed class DefaultRoutingPolicy : IRoutingPolicy
{
    private readonly int _localContextLimit;
    private readonly LaneContextWindows? _localWindows;

    /// <summary>Initializes a new instance of the <see cref="DefaultRoutingPolicy"/> class.</summary>
    /// <param name="localContextLimit">The largest number of tokens (prompt plus requested output) sent to a local backend.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="localContextLimit"/> is not positive.</exception>
    public DefaultRoutingPolicy(int localContextLimit)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(localContextLimit);
        _localContextLimit = localContextLimit;
    }

    /// <summary>Initializes a new instance with a configured limit, or with the limit the local windows allow.</summary>
    /// <param name="localContextLimit">The configured <c>Routing:LocalContextLimit</c>; null for the largest known local window.</param>
    /// <param name="localWindows">The local backends' windows (configured or reported by their servers).</param>
    internal DefaultRoutingPolicy(int? localContextLimit, LaneContextWindows? localWindows)
    {
        if (localContextLimit is { } limit)
        {
            ArgumentOutOfRangeException.ThrowIfNegativeOrZero(limit);
        }

        _localContextLimit = localContextLimit ?? 0;
        _localWindows = localWindows;
    }

    /// <summary>
    /// Gets the largest number of tokens (prompt plus requested output) sent to a local backend: the configured limit,
    /// else the largest context window of the local backends known now (configured, or reported by their servers: it
    /// follows them as they report), else 4096 while none is known.
    /// </summary>
    public int LocalContextLimit => _localContextLimit > 0 ? _localContextLimit : _localWindows?.Largest ?? Defaults.LocalContextLimit;

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
