namespace HybridInference;

/// <summary>
/// Thrown when the cloud could not answer a request that went to it (unreachable, timing out, 5xx, 429, its budget
/// full, its breaker open) and the request was not answered locally instead: its category is set to
/// <see cref="CloudUnavailableAction.Fail"/> in <c>Routing:OnCloudUnavailable</c> (the default for safety-critical
/// work), it does not fit a local window, or the local lane is down too. The cloud's failure is the
/// <see cref="Exception.InnerException"/>; the request itself was not at fault.
/// </summary>
public sealed class CloudUnavailableException : HybridInferenceException
{
    /// <summary>Initializes a new instance of the <see cref="CloudUnavailableException"/> class.</summary>
    public CloudUnavailableException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CloudUnavailableException"/> class.</summary>
    /// <param name="message">Why the request was not answered.</param>
    public CloudUnavailableException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CloudUnavailableException"/> class.</summary>
    /// <param name="message">Why the request was not answered.</param>
    /// <param name="innerException">The cloud's failure.</param>
    public CloudUnavailableException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
