using System.Diagnostics;
using Microsoft.Extensions.AI;

namespace HybridInference.Telemetry;

/// <summary>Every telemetry name of the library: meter, activity source, instruments, units and tag keys (DESIGN.md section 3).</summary>
internal static class HybridInferenceTelemetry
{
    public const string MeterName = "HybridInference";

    /// <summary>The provider name the hybrid client gives in its <c>ChatClientMetadata</c>.</summary>
    public const string ProviderName = "hybrid-inference";
    public const string ActivitySourceName = "HybridInference";

    public const string Dispatches = "hybrid_inference.dispatches";
    public const string Escalations = "hybrid_inference.escalations";
    public const string ValidationFailures = "hybrid_inference.validation_failures";
    public const string JsonExtractions = "hybrid_inference.json_extractions";
    public const string Hedges = "hybrid_inference.hedges";
    public const string WinnerTag = "winner";
    public const string HistoryReductions = "hybrid_inference.history.reductions";
    public const string HistoryTokensRemoved = "hybrid_inference.history.tokens_removed";
    public const string HistorySummaries = "hybrid_inference.history.summaries";
    public const string ModeTag = "mode";
    public const string ResultTag = "result";
    public const string SourceTag = "source";
    public const string TaskCost = "hybrid_inference.task.cost";
    public const string CircuitState = "hybrid_inference.circuit.state";
    public const string ActiveRequests = "hybrid_inference.backend.active_requests";
    public const string OutboxQueued = "hybrid_inference.outbox.queued";
    public const string OutboxDelivered = "hybrid_inference.outbox.delivered";
    public const string OutboxExpired = "hybrid_inference.outbox.expired";
    public const string OutboxFailed = "hybrid_inference.outbox.failed";
    public const string OutboxRetries = "hybrid_inference.outbox.retries";
    public const string OutboxPending = "hybrid_inference.outbox.pending";
    public const string RefinementsNotSent = "hybrid_inference.refinement.not_sent";
    public const string UnitItems = "{item}";
    public const string TokenUsage = "gen_ai.client.token.usage";
    public const string OperationDuration = "gen_ai.client.operation.duration";

    public const string UnitUsd = "USD";
    public const string UnitTokens = "{token}";
    public const string UnitSeconds = "s";

    public const string TargetTag = "target";
    public const string BackendTag = "backend";
    public const string CategoryTag = "category";

    /// <summary>The dispatch tag naming the sensitive topic (<c>Privacy:Topics</c>) a request touched; only on such requests' dispatches.</summary>
    public const string SensitiveTopicTag = "sensitive_topic";
    public const string ReasonTag = "reason";

    /// <summary>The tag of the outbox's counters that tells its work apart: <c>refinement</c> or <c>deferred</c>.</summary>
    public const string KindTag = "kind";
    public const string LaneTag = "lane";

    public const string GenAiOperationName = "gen_ai.operation.name";
    public const string GenAiProviderName = "gen_ai.provider.name";
    public const string GenAiRequestModel = "gen_ai.request.model";
    public const string GenAiResponseModel = "gen_ai.response.model";
    public const string GenAiTokenType = "gen_ai.token.type";
    public const string ErrorType = "error.type";
    public const string ChatOperation = "chat";
    public const string GenAiFinishReasons = "gen_ai.response.finish_reasons";
    public const string GenAiInputTokens = "gen_ai.usage.input_tokens";
    public const string GenAiOutputTokens = "gen_ai.usage.output_tokens";
    public const string GenAiInputMessages = "gen_ai.input.messages";
    public const string GenAiOutputMessages = "gen_ai.output.messages";

    /// <summary>The <c>gen_ai.response.model</c> value of a model a server reported that is not the backend's configured one.</summary>
    public const string OtherModel = "other";

    private static readonly string[] StopReason = ["stop"];
    private static readonly string[] LengthReason = ["length"];
    private static readonly string[] ToolCallsReason = ["tool_calls"];
    private static readonly string[] ContentFilterReason = ["content_filter"];
    private static readonly string[] OtherReason = ["other"];

    /// <summary>The source of every span: one per request, one per backend attempt.</summary>
    public static readonly ActivitySource ActivitySource = new(ActivitySourceName);

    /// <summary>Bucket boundaries the GenAI conventions advise for token usage.</summary>
    public static readonly double[] TokenBuckets = [1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864];

    /// <summary>Bucket boundaries the GenAI conventions advise for operation duration, in seconds.</summary>
    public static readonly double[] DurationBuckets = [0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92];

    public static string ToTag(TaskCategory category) => category switch
    {
        TaskCategory.Routine => "routine",
        TaskCategory.Complex => "complex",
        TaskCategory.SafetyCritical => "safety_critical",
        _ => "unknown",
    };

    public static string ToTag(ValidationFailureReason reason) => reason switch
    {
        ValidationFailureReason.InvalidJson => "invalid_json",
        ValidationFailureReason.SchemaMismatch => "schema_mismatch",
        ValidationFailureReason.Truncated => "truncated",
        ValidationFailureReason.SchemaEcho => "schema_echo",
        _ => "unknown",
    };

    public static string ToTag(EscalationReason reason) => reason switch
    {
        EscalationReason.Category => "category",
        EscalationReason.ContextLimit => "context_limit",
        EscalationReason.CircuitOpen => "circuit_open",
        EscalationReason.LocalError => "local_error",
        EscalationReason.ValidationFailed => "validation_failed",
        EscalationReason.Hedge => "hedge",
        EscalationReason.Policy => "policy",
        EscalationReason.ToolLoop => "tool_loop",
        EscalationReason.NoCapableLocalModel => "no_capable_local_model",
        _ => "none",
    };

    /// <summary>The <c>gen_ai.response.finish_reasons</c> value: the known reasons by name, any other string a server sent as <c>other</c>.</summary>
    public static string[] ToTag(ChatFinishReason reason) =>
        reason == ChatFinishReason.Stop ? StopReason
        : reason == ChatFinishReason.Length ? LengthReason
        : reason == ChatFinishReason.ToolCalls ? ToolCallsReason
        : reason == ChatFinishReason.ContentFilter ? ContentFilterReason
        : OtherReason;

    /// <summary>The <c>mode</c> tag of a history reduction: <c>trim</c>, <c>summarize</c>, or <c>custom</c> for a reducer the user plugged in.</summary>
    public static string ToTag(HistoryMode? mode) => mode switch
    {
        HistoryMode.Trim => "trim",
        HistoryMode.Summarize => "summarize",
        null => "custom",
        _ => "off",
    };

    public static string ToTag(BackendLane lane) => lane == BackendLane.Local ? "local" : "cloud";

    public static string ToTag(RouteTarget target) => target switch
    {
        RouteTarget.Local => "local",
        RouteTarget.Cloud => "cloud",
        _ => "unknown",
    };

    public static string ToTag(RouteReason reason) => reason switch
    {
        RouteReason.Default => "default",
        RouteReason.JsonRequired => "json_required",
        RouteReason.Category => "category",
        RouteReason.ContextLimit => "context_limit",
        RouteReason.CircuitOpen => "circuit_open",
        RouteReason.LocalOnly => "local_only",
        RouteReason.NoCloudBackend => "no_cloud_backend",
        RouteReason.Policy => "policy",
        RouteReason.CloudRateLimited => "cloud_rate_limited",
        RouteReason.CircuitRecovering => "circuit_recovering",
        RouteReason.CloudCircuitOpen => "cloud_circuit_open",
        RouteReason.Refinement => "refinement",
        RouteReason.NoCapableLocalModel => "no_capable_local_model",
        RouteReason.RequestedModel => "requested_model",
        RouteReason.ToolLoop => "tool_loop",
        RouteReason.CloudUnavailable => "cloud_unavailable",
        _ => "unknown",
    };

    /// <summary>Tool loops that moved to another backend because theirs failed, by the lanes moved from and to (<c>from_lane</c>, <c>to_lane</c>).</summary>
    public const string ToolLoopMoves = "hybrid_inference.tool_loop.moves";

    /// <summary>The tag of the lane a tool loop moved from.</summary>
    public const string FromLaneTag = "from_lane";

    /// <summary>The tag of the lane a tool loop moved to.</summary>
    public const string ToLaneTag = "to_lane";

    /// <summary>
    /// Requests the cloud failed that were answered locally instead (<see cref="RouteReason.CloudUnavailable"/>), by
    /// <c>category</c> and <c>reason</c> (the cloud's failure: timeout, server_error, refused, rate_limited, budget...).
    /// </summary>
    public const string Degradations = "hybrid_inference.degradations";

    /// <summary>The <c>reason</c> tag of a degradation whose cloud call the cloud budget refused.</summary>
    public const string BudgetReason = "budget";

    /// <summary>The <c>reason</c> tag of a degradation or a failure the cloud lane's breaker counts.</summary>
    public static string ToTag(CircuitFailureReason reason) => reason switch
    {
        CircuitFailureReason.Timeout => "timeout",
        CircuitFailureReason.ServerError => "server_error",
        CircuitFailureReason.Refused => "refused",
        CircuitFailureReason.Validation => "validation",
        CircuitFailureReason.Disconnected => "disconnected",
        CircuitFailureReason.RateLimited => "rate_limited",
        CircuitFailureReason.Misconfigured => "misconfigured",
        _ => "other",
    };
}
