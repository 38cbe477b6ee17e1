namespace HybridInference;

/// <summary>The lane the router sends a request to.</summary>
public enum RouteTarget
{
    /// <summary>
    /// The local lane: a failure before any output escalates to the cloud when the data policy allows, and a JSON
    /// answer is validated against the request's schema, retried locally with a constrained prompt, then escalated.
    /// </summary>
    Local = 0,

    /// <summary>The cloud lane.</summary>
    Cloud = 1,
}
