namespace HybridInference;

/// <summary>Decides where a classified request should run; replace it to change the routing rules.</summary>
/// <remarks>
/// A policy states a preference. The router enforces constraints on top of it, which a policy cannot override:
/// a <see cref="DataPolicy.LocalOnly"/> request never goes to the cloud, everything runs locally when no cloud
/// backend is configured, and routable traffic goes to the cloud while the local circuit breaker is open.
/// Implementations are called on every request and must be thread-safe and fast.
/// </remarks>
public interface IRoutingPolicy
{
    /// <summary>Chooses the target for a request.</summary>
    /// <param name="profile">What the classifier learned about the request.</param>
    /// <returns>The preferred target and the reason for it.</returns>
    RouteDecision Decide(TaskProfile profile);
}
