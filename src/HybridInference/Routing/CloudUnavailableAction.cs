namespace HybridInference;

/// <summary>What happens to a request that may run locally when the cloud fails it (<c>Routing:OnCloudUnavailable</c>).</summary>
public enum CloudUnavailableAction
{
    /// <summary>Answer it locally at once (route reason <see cref="RouteReason.CloudUnavailable"/>), counted in <c>hybrid_inference.degradations</c>.</summary>
    Degrade = 0,

    /// <summary>Fail it with <see cref="CloudUnavailableException"/>, which carries the cloud's failure; nothing is sent to a local backend.</summary>
    Fail = 1,
}
