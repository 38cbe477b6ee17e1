using Microsoft.Extensions.Logging;

namespace HybridInference.Telemetry;

/// <summary>
/// Every log message of the library, source-generated. Decisions log at Debug and Information, escalations and
/// breaker trips at Warning. No message carries prompt or completion text, nor any secret: failures are logged by
/// their type and kind, never with the exception itself, whose message is a server's text and may quote the request.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Debug, "Routed a {Category} request of about {EstimatedTokens} tokens to {Target} ({Reason}).")]
    public static partial void Routed(ILogger logger, TaskCategory category, int estimatedTokens, RouteTarget target, RouteReason reason);

    [LoggerMessage(2, LogLevel.Information, "Local output from backend {Backend} failed validation ({Reason}, {ErrorCount} error(s)); retrying locally with a constrained prompt (retry {Retry} of {MaxRetries}).")]
    public static partial void RetryingWithConstrainedPrompt(ILogger logger, string backend, ValidationFailureReason reason, int errorCount, int retry, int maxRetries);

    [LoggerMessage(3, LogLevel.Warning, "Escalating a request to the cloud: {Reason} ({Failure}).")]
    public static partial void Escalating(ILogger logger, EscalationReason reason, string failure);

    [LoggerMessage(4, LogLevel.Warning, "The {Lane} circuit breaker opened for {BreakDuration} after a {Failure}: {Cause}; routable requests go to the other lane.")]
    public static partial void CircuitOpened(ILogger logger, BackendLane lane, TimeSpan breakDuration, string failure, string cause);

    [LoggerMessage(5, LogLevel.Information, "The {Lane} circuit breaker closed: its backends are serving again.")]
    public static partial void CircuitClosed(ILogger logger, BackendLane lane);

    [LoggerMessage(6, LogLevel.Information, "The {Lane} circuit breaker is half-open: trying a request.")]
    public static partial void CircuitHalfOpened(ILogger logger, BackendLane lane);

    [LoggerMessage(20, LogLevel.Information, "The {Lane} circuit breaker's break ends early: a health probe of a backend in the lane passed since it opened; the next request is the trial.")]
    public static partial void CircuitBreakEndedByProbe(ILogger logger, BackendLane lane);

    [LoggerMessage(21, LogLevel.Warning, "The {Lane} circuit breaker opened on another replica's decision, for {BreakDuration}; routable requests go to the other lane.")]
    public static partial void CircuitOpenedByOtherReplica(ILogger logger, BackendLane lane, TimeSpan breakDuration);

    [LoggerMessage(22, LogLevel.Information, "The {Lane} circuit breaker closes: no replica closed nor reopened the circuit another one opened within twice its break.")]
    public static partial void FollowedBreakEnded(ILogger logger, BackendLane lane);

    [LoggerMessage(7, LogLevel.Warning, "Backend {Backend} failed ({Failure}); trying the next backend of the {Lane} lane.")]
    public static partial void FailingOver(ILogger logger, string backend, string failure, BackendLane lane);

    /// <summary>Describes a failure for a log line without its message: the type, and the kind for a backend failure.</summary>
    public static string Describe(Exception? exception) => exception switch
    {
        null => "invalid output",
        BackendException backend => $"{nameof(BackendException)}: {backend.Kind}{(backend.StatusCode is { } status ? $" {status}" : string.Empty)}",
        _ => exception.GetType().Name,
    };

    [LoggerMessage(9, LogLevel.Warning, "Backend {Backend} of the {Lane} lane failed its health probe; it is ejected until a probe or a trial request succeeds.")]
    public static partial void ProbeFailed(ILogger logger, string backend, BackendLane lane);

    [LoggerMessage(8, LogLevel.Warning, "Cloud backend {Backend} (model {Model}) has no price in HybridInference:Pricing; its cost counts as zero.")]
    public static partial void CloudModelNotPriced(ILogger logger, string backend, string model);

    [LoggerMessage(10, LogLevel.Warning, "Route outcome listener {Listener} failed ({Failure}); the request was not affected.")]
    public static partial void ListenerFailed(ILogger logger, string listener, string failure);

    [LoggerMessage(11, LogLevel.Warning, "The personal-data detector or the sensitive-topic scan failed ({Failure}); the request is kept local.")]
    public static partial void PiiDetectorFailed(ILogger logger, string failure);

    [LoggerMessage(12, LogLevel.Debug, "Personal data ({Kind}) found in a request; action: {Action}.")]
    public static partial void PersonalDataFound(ILogger logger, string kind, PiiAction action);

    [LoggerMessage(13, LogLevel.Debug, "A request touches the sensitive topic {Topic}; it is kept local.")]
    public static partial void SensitiveTopicFound(ILogger logger, string topic);

    [LoggerMessage(14, LogLevel.Warning, "{Count} configuration key(s) that nothing reads are ignored (HybridInference:AllowUnknownKeys is true): {Keys}")]
    public static partial void UnknownConfigurationKeys(ILogger logger, int count, string keys);

    [LoggerMessage(40, LogLevel.Information, "Backend {Backend} reports a context window of {Reported} tokens per request; it now uses {Window}.")]
    public static partial void ContextWindowReported(ILogger logger, string backend, int reported, int window);

    [LoggerMessage(41, LogLevel.Warning, "Backend {Backend} is configured with ContextWindow {Configured} but its server reports {Reported} tokens per request; the smaller, {Window}, is used. Set ContextWindow to match the server (or leave it out to use the server's).")]
    public static partial void ContextWindowDisagrees(ILogger logger, string backend, int configured, int reported, int window);

    [LoggerMessage(42, LogLevel.Warning, "HybridInference:Routing:LocalContextLimit ({Limit}) is larger than the largest local context window ({Window}) the servers report; requests between the two are routed locally and then escalated (or refused when they must stay local).")]
    public static partial void LocalContextLimitAboveWindows(ILogger logger, int limit, int window);

    [LoggerMessage(43, LogLevel.Warning, "Backend {Backend}'s server has no tokenize endpoint (404): prompts near a limit are counted by the estimate for this backend from now on. Configure its Tokenizer for exact counts.")]
    public static partial void ServerTokenCountUnavailable(ILogger logger, string backend);

    [LoggerMessage(44, LogLevel.Debug, "Backend {Backend}'s server could not count a prompt's tokens ({Failure}); the request is routed on the estimate.")]
    public static partial void ServerTokenCountFailed(ILogger logger, string backend, string failure);

    [LoggerMessage(170, LogLevel.Debug, "A conversation of {Messages} messages ({Before} prompt tokens) was fitted to the local window of {Window} tokens by {Mode}: {After} prompt tokens, {TurnsRemoved} turn(s) left out, {SummaryCalls} summarizing call(s).")]
    public static partial void HistoryFitted(ILogger logger, int messages, int before, int window, string mode, int after, int turnsRemoved, int summaryCalls);

    [LoggerMessage(171, LogLevel.Debug, "A conversation of {Messages} messages ({Before} prompt tokens) does not fit the local window of {Window} tokens even reduced to its last turn; it is routed as it came.")]
    public static partial void HistoryDoesNotFit(ILogger logger, int messages, int before, int window);

    [LoggerMessage(172, LogLevel.Warning, "Summarizing a conversation's earlier turns failed ({Failure}); they are dropped instead (trim).")]
    public static partial void HistorySummaryFailed(ILogger logger, string failure);

    [LoggerMessage(173, LogLevel.Warning, "The history reducer {Reducer} left out the last user message; the built-in trim is used instead, which always keeps it.")]
    public static partial void HistoryReducerDroppedLastTurn(ILogger logger, string reducer);

    [LoggerMessage(174, LogLevel.Warning, "An IChatReducer is registered, but HybridInference:Local:History:Mode is Off: history fitting is off and the reducer is not used. Set Mode to Trim or Summarize to use it.")]
    public static partial void HistoryReducerUnused(ILogger logger);

    [LoggerMessage(180, LogLevel.Information, "A tool loop on backend {Backend} ({Lane}) moved to backend {NewBackend} ({NewLane}) after its backend failed; the rest of the loop stays there.")]
    public static partial void ToolLoopMoved(ILogger logger, string backend, BackendLane lane, string newBackend, BackendLane newLane);

    [LoggerMessage(190, LogLevel.Warning, "The cloud could not answer a {Category} request ({Failure}); it is answered locally (Routing:OnCloudUnavailable).")]
    public static partial void DegradingToLocal(ILogger logger, TaskCategory category, string failure);

    [LoggerMessage(191, LogLevel.Warning, "The cloud could not answer a {Category} request ({Failure}) and it is not answered locally: {Why}.")]
    public static partial void CloudUnavailable(ILogger logger, TaskCategory category, string failure, string why);

    [LoggerMessage(192, LogLevel.Warning, "The cloud could not answer a deferrable {Category} request ({Failure}); it waits in the outbox as {RequestId}.")]
    public static partial void Deferred(ILogger logger, TaskCategory category, string failure, string requestId);
}
