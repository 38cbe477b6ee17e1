namespace HybridInference;

/// <summary>Why a request was served by the cloud instead of locally.</summary>
public enum EscalationReason
{
    /// <summary>The request was not escalated.</summary>
    None = 0,

    /// <summary>The task is complex or safety-critical (metric tag <c>category</c>).</summary>
    Category = 1,

    /// <summary>The prompt is too long for local backends, by estimate or by a server's rejection (metric tag <c>context_limit</c>).</summary>
    ContextLimit = 2,

    /// <summary>The local circuit breaker is open (metric tag <c>circuit_open</c>).</summary>
    CircuitOpen = 3,

    /// <summary>A local backend failed before producing output (metric tag <c>local_error</c>).</summary>
    LocalError = 4,

    /// <summary>Local JSON output failed schema validation after every retry (metric tag <c>validation_failed</c>).</summary>
    ValidationFailed = 5,

    /// <summary>A custom <see cref="IRoutingPolicy"/> chose the cloud (metric tag <c>policy</c>).</summary>
    Policy = 6,

    /// <summary>The local answer took longer than <c>Routing:HedgeDelay</c>, a hedged cloud request started, and it answered first (metric tag <c>hedge</c>).</summary>
    Hedge = 7,

    /// <summary>
    /// The request continues a tool loop that runs on the cloud: it started there, or moved there when its local backend
    /// failed (<see cref="RouteOutcome.ToolLoopMovedFrom"/>), and its turns stay together (metric tag <c>tool_loop</c>).
    /// </summary>
    ToolLoop = 8,

    /// <summary>No local model is fit for the task (capabilities, or quantization for reasoning and code) (metric tag <c>no_capable_local_model</c>).</summary>
    NoCapableLocalModel = 9,
}
