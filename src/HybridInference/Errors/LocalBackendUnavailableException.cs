namespace HybridInference;

/// <summary>
/// Thrown when a request that must run locally (it is <see cref="DataPolicy.LocalOnly"/>, or no cloud backend is
/// configured) cannot be served by any local backend. The request was not sent to the cloud.
/// </summary>
public sealed class LocalBackendUnavailableException : HybridInferenceException
{
    /// <summary>Initializes a new instance of the <see cref="LocalBackendUnavailableException"/> class.</summary>
    public LocalBackendUnavailableException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="LocalBackendUnavailableException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    public LocalBackendUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="LocalBackendUnavailableException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The local failure.</param>
    public LocalBackendUnavailableException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
