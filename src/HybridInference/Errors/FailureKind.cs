namespace HybridInference.Errors;

/// <summary>What a failed call means for the chain; <see cref="Failures"/> says what each kind counts against.</summary>
internal enum FailureKind
{
    /// <summary>The caller cancelled (or the request's deadline passed): nothing is retried, moved or counted.</summary>
    Cancelled,

    /// <summary>The request itself is wrong (the client refused it, or the server rejected it as bad): the cloud would get the same mistake.</summary>
    CallerFault,

    /// <summary>The prompt does not fit the backend's context window: not a sign of ill health; a larger window may take it.</summary>
    TooLong,

    /// <summary>The backend could not take this request (full, or it cannot do what is asked): not ill health; another lane may.</summary>
    Refused,

    /// <summary>The answer came but failed the request's JSON Schema: the lane's failure; retried, then escalated.</summary>
    InvalidAnswer,

    /// <summary>One of the chain's own final verdicts (for example no local backend may serve a local-only request).</summary>
    Verdict,

    /// <summary>Anything else: the backend or the lane failed (errors, timeouts, refused connections, an open breaker).</summary>
    LaneFailure,
}
