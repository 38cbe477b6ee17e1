namespace HybridInference.Routing;

/// <summary>What the router knows of the lanes when it decides one request: read from their state, never changing it.</summary>
/// <param name="HasCloud">Whether a cloud lane exists (offline mode has none).</param>
/// <param name="LocalRejecting">Whether the local breaker would reject a call now.</param>
/// <param name="LocalShare">The share of routable traffic the local lane takes (below 1 during the recovery ramp).</param>
/// <param name="CloudRejecting">Whether the cloud breaker would reject a call now.</param>
/// <param name="CloudHasRoom">Whether the cloud budget has room for the request now.</param>
/// <param name="LargestLocalWindow">The largest known local context window (configured or reported by a server), if any is known.</param>
internal readonly record struct LaneStates(bool HasCloud, bool LocalRejecting, double LocalShare, bool CloudRejecting, bool CloudHasRoom, int? LargestLocalWindow);
