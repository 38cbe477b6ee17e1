using Microsoft.Extensions.Logging;

namespace HybridInference.Telemetry;

/// <summary>
/// Every log message of the library, source-generated. Decisions log at Debug and Information, escalations and
/// breaker trips at Warning. No message carries prompt or completion text, nor any secret.
/// </summary>
internal static partial class Log
{
    [LoggerMessage(1, LogLevel.Debug, "Routed a {Category} request of about {EstimatedTokens} tokens to {Target} ({Reason}).")]
    public static partial void Routed(ILogger logger, TaskCategory category, int estimatedTokens, RouteTarget target, RouteReason reason);

    [LoggerMessage(2, LogLevel.Information, "Local output from backend {Backend} failed schema validation with {ErrorCount} error(s); retrying locally with a constrained prompt (retry {Retry} of {MaxRetries}).")]
    public static partial void RetryingWithConstrainedPrompt(ILogger logger, string backend, int errorCount, int retry, int maxRetries);

    [LoggerMessage(3, LogLevel.Warning, "Escalating a request to the cloud: {Reason}.")]
    public static partial void Escalating(ILogger logger, EscalationReason reason, Exception? exception);

    [LoggerMessage(4, LogLevel.Warning, "The local circuit breaker opened for {BreakDuration}: local failures passed the threshold; routable requests go to the cloud.")]
    public static partial void CircuitOpened(ILogger logger, TimeSpan breakDuration, Exception? exception);

    [LoggerMessage(5, LogLevel.Information, "The local circuit breaker closed: local backends are serving again.")]
    public static partial void CircuitClosed(ILogger logger);

    [LoggerMessage(6, LogLevel.Information, "The local circuit breaker is half-open: trying a local request.")]
    public static partial void CircuitHalfOpened(ILogger logger);

    [LoggerMessage(7, LogLevel.Warning, "Backend {Backend} failed; trying the next backend of the {Lane} lane.")]
    public static partial void FailingOver(ILogger logger, string backend, BackendLane lane, Exception exception);

    [LoggerMessage(8, LogLevel.Warning, "Cloud backend {Backend} (model {Model}) has no price in HybridInference:Pricing; its cost counts as zero.")]
    public static partial void CloudModelNotPriced(ILogger logger, string backend, string model);
}
