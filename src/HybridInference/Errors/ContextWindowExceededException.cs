namespace HybridInference;

/// <summary>
/// Thrown when a prompt does not fit a model's context window: by estimate before sending (a local-only request
/// larger than every local window), or because a server rejected it. A server's rejection escalates to the cloud
/// when the request may go there; it does not count against the local backend's health.
/// </summary>
public sealed class ContextWindowExceededException : HybridInferenceException
{
    /// <summary>Initializes a new instance of the <see cref="ContextWindowExceededException"/> class.</summary>
    public ContextWindowExceededException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ContextWindowExceededException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    public ContextWindowExceededException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ContextWindowExceededException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The server's rejection, when there was one.</param>
    public ContextWindowExceededException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="ContextWindowExceededException"/> class with the sizes involved.</summary>
    /// <param name="requiredTokens">The tokens the request needs (prompt plus requested output).</param>
    /// <param name="contextWindow">The largest window available to the request.</param>
    public ContextWindowExceededException(int requiredTokens, int contextWindow)
        : base($"The request needs about {requiredTokens} tokens (prompt plus requested output) but the largest local context window is {contextWindow} tokens, and the request may not leave the machine.")
    {
        RequiredTokens = requiredTokens;
        ContextWindow = contextWindow;
    }

    /// <summary>Gets the tokens the request needs (prompt plus requested output), when known.</summary>
    public int? RequiredTokens { get; }

    /// <summary>Gets the context window that was too small, when known.</summary>
    public int? ContextWindow { get; }
}
