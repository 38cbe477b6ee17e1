using HybridInference.CircuitBreaker;
using HybridInference.Pools;

namespace HybridInference.Routing;

/// <summary>What the router knows of the lanes when it decides one request: read from their state, never changing it.</summary>
/// <param name="HasCloud">Whether a cloud lane exists (offline mode has none).</param>
/// <param name="LocalRejecting">Whether the local breaker would reject a call now.</param>
/// <param name="LocalShare">The share of routable traffic the local lane takes (below 1 during the recovery ramp).</param>
/// <param name="CloudRejecting">Whether the cloud breaker would reject a call now.</param>
/// <param name="CloudHasRoom">Whether the cloud budget has room for the request now.</param>
/// <param name="LargestLocalWindow">The largest known local context window (configured or reported by a server), if any is known.</param>
internal readonly record struct LaneStates(bool HasCloud, bool LocalRejecting, double LocalShare, bool CloudRejecting, bool CloudHasRoom, int? LargestLocalWindow)
{
    /// <summary>Reads the lanes' states as they are now (the cloud budget's is read by the caller: it may take waiting).</summary>
    /// <param name="hasCloud">Whether a cloud lane exists.</param>
    /// <param name="localCircuit">The local lane's breaker, if it has one.</param>
    /// <param name="cloudCircuit">The cloud lane's breaker, if it has one.</param>
    /// <param name="localWindows">The local backends' context windows, if the local lane has a pool.</param>
    /// <param name="cloudHasRoom">Whether the cloud budget has room for the request.</param>
    /// <returns>The states.</returns>
    public static LaneStates Read(bool hasCloud, LaneCircuit? localCircuit, LaneCircuit? cloudCircuit, LaneContextWindows? localWindows, bool cloudHasRoom) => new(
        HasCloud: hasCloud,
        LocalRejecting: localCircuit is { IsRejecting: true },
        LocalShare: localCircuit?.Share ?? 1,
        CloudRejecting: cloudCircuit is { IsRejecting: true },
        CloudHasRoom: cloudHasRoom,
        LargestLocalWindow: localWindows?.Largest);
}
