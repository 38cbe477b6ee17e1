namespace HybridInference;

/// <summary>The router's choice for one request: where it goes and why.</summary>
/// <param name="Target">Where the request is sent.</param>
/// <param name="Reason">Why that target was chosen.</param>
public readonly record struct RouteDecision(RouteTarget Target, RouteReason Reason);
