namespace HybridInference;

/// <summary>What went wrong with a backend call, in terms the chain acts on.</summary>
public enum BackendErrorKind
{
    /// <summary>A failure that fits no other kind.</summary>
    Unknown = 0,

    /// <summary>The server could not be reached: connection refused, reset before an answer, name not resolved.</summary>
    Unavailable = 1,

    /// <summary>The call took longer than allowed.</summary>
    Timeout = 2,

    /// <summary>The server limits the rate (HTTP 429); <see cref="BackendException.RetryAfter"/> says when to retry, if the server said.</summary>
    RateLimited = 3,

    /// <summary>The server failed (HTTP 5xx).</summary>
    ServerError = 4,

    /// <summary>The server is still loading its model (HTTP 503 with a loading message).</summary>
    ModelLoading = 5,

    /// <summary>The server rejected the request (HTTP 400 or 422, other than a context-length rejection).</summary>
    BadRequest = 6,

    /// <summary>The server refused the credentials (HTTP 401 or 403).</summary>
    Unauthorized = 7,

    /// <summary>The model or route does not exist on the server (HTTP 404).</summary>
    NotFound = 8,

    /// <summary>The server answered with a body that is not a chat completion (not JSON, empty, or missing its choices).</summary>
    MalformedResponse = 9,

    /// <summary>The connection ended in the middle of a streamed answer.</summary>
    Disconnected = 10,

    /// <summary>The server reported an error inside a stream it had started with HTTP 200.</summary>
    StreamError = 11,

    /// <summary>
    /// The backend already has as many requests in flight as its <see cref="BackendOptions.MaxConcurrentRequests"/>
    /// allows; nothing was sent. Not a health failure: the pool tries another backend, and the circuit breaker does not count it.
    /// </summary>
    Saturated = 12,

    /// <summary>
    /// The backend cannot do what the request asks (for example constrain its output to a JSON Schema: MLX's
    /// <c>mlx_lm.server</c> ignores <c>response_format</c>); nothing was sent. Not a health failure: the pool tries
    /// another backend, the fallback escalates, and the circuit breaker does not count it.
    /// </summary>
    Unsupported = 13,
}
