namespace HybridInference;

/// <summary>Why the router chose its <see cref="RouteTarget"/>.</summary>
public enum RouteReason
{
    /// <summary>A routine task that fits the local context limit: local.</summary>
    Default = 0,

    /// <summary>The request asks for JSON output: local with validation and fallback.</summary>
    JsonRequired = 1,

    /// <summary>The task is complex or safety-critical: cloud.</summary>
    Category = 2,

    /// <summary>The prompt plus requested output exceeds <c>Routing:LocalContextLimit</c>: cloud.</summary>
    ContextLimit = 3,

    /// <summary>The local circuit breaker is open: cloud until local recovers.</summary>
    CircuitOpen = 4,

    /// <summary>The request is <see cref="DataPolicy.LocalOnly"/>: local, whatever the rules preferred.</summary>
    LocalOnly = 5,

    /// <summary>No cloud backend is configured (offline mode): local, whatever the rules preferred.</summary>
    NoCloudBackend = 6,

    /// <summary>A custom <see cref="IRoutingPolicy"/> chose the target for a reason of its own.</summary>
    Policy = 7,

    /// <summary>The policy chose the cloud but the cloud budget (<c>Cloud:RequestsPerMinute</c>/<c>TokensPerMinute</c>) had no room in time: local instead.</summary>
    CloudRateLimited = 8,

    /// <summary>The local circuit breaker closed less than <c>Routing:RecoveryRamp</c> ago and local takes only part of the traffic back yet: cloud.</summary>
    CircuitRecovering = 9,

    /// <summary>The policy chose the cloud, but the cloud circuit breaker is open after repeated cloud failures: local instead.</summary>
    CloudCircuitOpen = 10,

    /// <summary>
    /// Cloud work sent from the outbox: a cloud refinement of a local draft (<see cref="HybridChatOptionsExtensions.WithRefinement"/>),
    /// or deferred work (<see cref="HybridChatOptionsExtensions.AsDeferrable"/>). Cloud only, never answered locally.
    /// </summary>
    Refinement = 11,

    /// <summary>
    /// No local model is fit for the task (the capabilities it needs, such as code or tools, or a quantization good
    /// enough for reasoning, Q4_K_M or better): cloud. A local-only request runs on the best local model instead, and
    /// its outcome says so (<see cref="RouteOutcome.NoCapableLocalModel"/>).
    /// </summary>
    NoCapableLocalModel = 12,

    /// <summary>The caller asked for a model (<c>ChatOptions.ModelId</c>) that a backend of this lane serves.</summary>
    RequestedModel = 13,

    /// <summary>
    /// The request continues a tool loop (it sends back the results of tool calls an earlier turn made): the lane that
    /// made the calls, so the loop keeps its lane and backend (<c>ToolLoops</c>).
    /// </summary>
    ToolLoop = 14,

    /// <summary>
    /// The request went to the cloud, the cloud failed it (unreachable, timing out, 5xx, 429, its budget full, its
    /// breaker open) before any output, and <c>Routing:OnCloudUnavailable</c> lets its category run locally: answered
    /// by the local lane instead.
    /// </summary>
    CloudUnavailable = 15,

    /// <summary>
    /// The request is deferrable (<see cref="HybridChatOptionsExtensions.AsDeferrable"/>), had to go to the cloud, and
    /// the cloud could not take it: it waits in the outbox, and the response carries no answer, only the handle of the
    /// cloud's later one (<see cref="RefinementExtensions.GetDeferral(Microsoft.Extensions.AI.ChatResponse)"/>).
    /// </summary>
    Deferred = 16,
}
