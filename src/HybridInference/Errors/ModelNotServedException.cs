namespace HybridInference;

/// <summary>
/// Thrown when a request asks for a model (<c>ChatOptions.ModelId</c>) that the backends it may go to do not serve: no
/// backend serves it, only a cloud backend does and the request is local-only, or, from one backend, that this backend
/// serves another model (the pool then tries the next one). A request's model is never sent to a backend of another
/// model. It is the caller's fault: it counts against no backend's health nor any breaker, and does not escalate.
/// </summary>
public sealed class ModelNotServedException : HybridInferenceException
{
    /// <summary>Initializes a new instance of the <see cref="ModelNotServedException"/> class.</summary>
    public ModelNotServedException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ModelNotServedException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    public ModelNotServedException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ModelNotServedException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public ModelNotServedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ModelNotServedException"/> class for a requested model.</summary>
    /// <param name="requestedModel">The model the request asked for.</param>
    /// <param name="message">Why it cannot be served.</param>
    public ModelNotServedException(string requestedModel, string message)
        : base(message)
    {
        RequestedModel = requestedModel;
    }

    /// <summary>Gets the model the request asked for, if known.</summary>
    public string? RequestedModel { get; }
}
