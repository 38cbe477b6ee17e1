namespace HybridInference;

/// <summary>
/// A backend call failed. The chain treats it as a backend failure: it fails over to the next backend, counts
/// against local health, and escalates when the request may go to the cloud.
/// </summary>
/// <remarks>The message holds the server's own error text (shortened) and never the API key.</remarks>
public sealed class BackendException : HybridInferenceException
{
    /// <summary>Initializes a new instance of the <see cref="BackendException"/> class.</summary>
    public BackendException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="BackendException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    public BackendException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="BackendException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The failure that caused it.</param>
    public BackendException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="BackendException"/> class with what is known of the failure.</summary>
    /// <param name="kind">What went wrong.</param>
    /// <param name="message">What went wrong, in words.</param>
    /// <param name="statusCode">The HTTP status, if the server answered.</param>
    /// <param name="retryAfter">When to try again, if the server said.</param>
    /// <param name="innerException">The failure that caused it.</param>
    public BackendException(BackendErrorKind kind, string message, int? statusCode = null, TimeSpan? retryAfter = null, Exception? innerException = null)
        : base(message, innerException)
    {
        Kind = kind;
        StatusCode = statusCode;
        RetryAfter = retryAfter;
    }

    /// <summary>Gets what went wrong.</summary>
    public BackendErrorKind Kind { get; }

    /// <summary>Gets the HTTP status the server answered with, if it answered.</summary>
    public int? StatusCode { get; }

    /// <summary>Gets how long the server asked the client to wait before retrying, if it said.</summary>
    public TimeSpan? RetryAfter { get; }
}
