namespace HybridInference.Errors;

/// <summary>
/// The one table of what a failure means, keyed on its <see cref="FailureKind"/>: whether it counts against the
/// backend's health, whether the lane's circuit breaker counts it, and whether the local lane escalates it.
/// </summary>
/// <remarks>
/// <code>
/// kind           health  breaker  escalates                           cloud unavailable (degrades)
/// Cancelled      no      no       no                                  no
/// CallerFault    no      no       no                                  no
/// TooLong        no      no       yes (context_limit)                 no
/// Refused        no      no       yes                                 yes
/// InvalidAnswer  no      yes      yes, after the constrained retries  no
/// Verdict        no      yes      no                                  only the cloud budget's refusal
/// LaneFailure    yes     yes      yes                                 yes
/// </code>
/// A pool fails over to its next backend on every kind but <see cref="FailureKind.Cancelled"/>, before the first
/// streamed token only.
/// </remarks>
internal static class Failures
{
    /// <summary>Classifies a failure; <paramref name="cancellationToken"/> is the caller's (with the deadline), to tell its cancellation from a backend's timeout.</summary>
    public static FailureKind Classify(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        OperationCanceledException when cancellationToken.IsCancellationRequested => FailureKind.Cancelled,
        ContextWindowExceededException => FailureKind.TooLong,
        OutputValidationException => FailureKind.InvalidAnswer,
        ArgumentException or ModelNotServedException or BackendException { Kind: BackendErrorKind.BadRequest } => FailureKind.CallerFault,
        NotSupportedException or BackendException { Kind: BackendErrorKind.Saturated or BackendErrorKind.Unsupported } => FailureKind.Refused,
        BackendException => FailureKind.LaneFailure,
        HybridInferenceException => FailureKind.Verdict,
        _ => FailureKind.LaneFailure,
    };

    /// <summary>Whether the failure says the backend is unwell (its health record, ejection).</summary>
    public static bool CountsAgainstHealth(Exception exception, CancellationToken cancellationToken) =>
        Classify(exception, cancellationToken) == FailureKind.LaneFailure;

    /// <summary>Whether the lane's circuit breaker counts the failure.</summary>
    public static bool CountsAgainstBreaker(Exception exception, CancellationToken cancellationToken) =>
        Classify(exception, cancellationToken) is FailureKind.LaneFailure or FailureKind.InvalidAnswer or FailureKind.Verdict;

    /// <summary>
    /// Whether a failed send of an outbox item (a cloud refinement) is the item's own fault, so that it counts towards
    /// <c>Refinement:Outbox:MaxAttempts</c>: a caller's fault, a prompt too long, an invalid answer. Every other kind
    /// says the cloud is away or busy (unreachable, timing out, 5xx, 429, its breaker open, its budget full): the item
    /// waits and is sent again, bounded only by its age.
    /// </summary>
    public static bool CountsAgainstOutboxItem(Exception exception, CancellationToken cancellationToken) =>
        Classify(exception, cancellationToken) is FailureKind.CallerFault or FailureKind.TooLong or FailureKind.InvalidAnswer;

    /// <summary>
    /// Why the lane's circuit breaker counts the failure, for the status: the second column of the table, keyed on the
    /// error kind (<see cref="BackendException.Kind"/>), every kind listed. A failure another one wraps (a stream
    /// interrupted after output was passed on) is counted by the failure inside.
    /// </summary>
    /// <remarks>
    /// Transport failures no backend client mapped are told apart the same way: an <see cref="HttpRequestException"/>
    /// (the server could not be reached) is <see cref="CircuitFailureReason.Refused"/>, unless the response ended
    /// early; a response that ended early, or an <see cref="IOException"/> (a read cut off), is
    /// <see cref="CircuitFailureReason.Disconnected"/>.
    /// </remarks>
    public static CircuitFailureReason CircuitReason(Exception exception) => exception switch
    {
        StreamInterruptedException { InnerException: { } inner } => CircuitReason(inner),
        OutputValidationException => CircuitFailureReason.Validation,
        BackendException backend => CircuitReason(backend.Kind),
        TimeoutException or OperationCanceledException => CircuitFailureReason.Timeout,
        HttpRequestException { HttpRequestError: HttpRequestError.ResponseEnded } => CircuitFailureReason.Disconnected,
        HttpRequestException => CircuitFailureReason.Refused,
        IOException => CircuitFailureReason.Disconnected,
        _ => CircuitFailureReason.Other,
    };

    /// <summary>The breaker's reason for a backend error of <paramref name="kind"/>.</summary>
    public static CircuitFailureReason CircuitReason(BackendErrorKind kind) => kind switch
    {
        BackendErrorKind.Timeout => CircuitFailureReason.Timeout,
        BackendErrorKind.Unavailable => CircuitFailureReason.Refused,
        BackendErrorKind.Disconnected => CircuitFailureReason.Disconnected,
        BackendErrorKind.ServerError or BackendErrorKind.ModelLoading or BackendErrorKind.StreamError or BackendErrorKind.MalformedResponse => CircuitFailureReason.ServerError,
        BackendErrorKind.RateLimited => CircuitFailureReason.RateLimited,
        BackendErrorKind.Unauthorized or BackendErrorKind.NotFound => CircuitFailureReason.Misconfigured,

        // Never counted (a caller's fault, or nothing was sent), listed so that every kind has its row.
        BackendErrorKind.BadRequest or BackendErrorKind.Saturated or BackendErrorKind.Unsupported => CircuitFailureReason.Other,
        BackendErrorKind.Unknown => CircuitFailureReason.Other,
        _ => CircuitFailureReason.Other,
    };

    /// <summary>Whether the local lane sends the request on to the cloud after this failure (when its data may leave the machine).</summary>
    public static bool Escalates(Exception exception, CancellationToken cancellationToken) =>
        Classify(exception, cancellationToken) is FailureKind.LaneFailure or FailureKind.TooLong or FailureKind.Refused or FailureKind.InvalidAnswer;

    /// <summary>
    /// Whether a failure of the cloud lane says the cloud could not answer (the last column of the table): it could
    /// not be reached, timed out, failed (5xx, a malformed answer), limited the rate (429), its breaker refused the
    /// call or its budget had no room. Not the caller's cancellation or fault, a prompt too long, or an invalid answer:
    /// those are not the cloud being away, and a local answer would not mend them.
    /// </summary>
    public static bool MeansCloudUnavailable(Exception exception, CancellationToken cancellationToken) =>
        exception is CloudRateLimitExceededException
        || Classify(exception, cancellationToken) is FailureKind.LaneFailure or FailureKind.Refused;

    /// <summary>The <c>reason</c> tag of a degradation after <paramref name="exception"/> (one that <see cref="MeansCloudUnavailable"/>).</summary>
    public static string DegradationReason(Exception exception) =>
        exception is CloudRateLimitExceededException ? Telemetry.HybridInferenceTelemetry.BudgetReason : Telemetry.HybridInferenceTelemetry.ToTag(CircuitReason(exception));
}
