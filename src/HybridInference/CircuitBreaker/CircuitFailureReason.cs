namespace HybridInference;

/// <summary>Why an attempt of a lane counted as a failure with its circuit breaker (one reason per <see cref="BackendErrorKind"/>).</summary>
public enum CircuitFailureReason
{
    /// <summary>The attempt timed out (a backend's timeout, a time-to-first-token limit).</summary>
    Timeout,

    /// <summary>The server failed: HTTP 5xx, a model still loading, an error inside a stream, a malformed answer.</summary>
    ServerError,

    /// <summary>The server could not be reached or was unavailable (a connection refused or reset before any answer).</summary>
    Refused,

    /// <summary>The answer failed JSON Schema validation.</summary>
    Validation,

    /// <summary>Any other failure.</summary>
    Other,

    /// <summary>The server dropped the connection in the middle of its answer (a stream cut before it was complete).</summary>
    Disconnected,

    /// <summary>The server limited the rate (HTTP 429).</summary>
    RateLimited,

    /// <summary>The server refused the credentials or does not know the model or route (HTTP 401, 403, 404): a configuration to check.</summary>
    Misconfigured,
}
