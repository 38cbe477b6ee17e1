namespace HybridInference;

/// <summary>Where the router sends a request.</summary>
public enum RouteTarget
{
    /// <summary>A local backend; a failure before any output escalates to the cloud when the data policy allows.</summary>
    Local = 0,

    /// <summary>A cloud backend.</summary>
    Cloud = 1,

    /// <summary>
    /// A local backend whose JSON output is validated against the request's schema, retried locally with a
    /// constrained prompt and then escalated to the cloud when the data policy allows.
    /// </summary>
    LocalWithFallback = 2,
}
