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

    /// <summary>Initializes a new instance of the <see cref="ContextWindowExceededException"/> class with what is known of the sizes.</summary>
    /// <param name="message">What went wrong (a server's rejection: its own words, scrubbed).</param>
    /// <param name="requiredTokens">The tokens the request needs as the server counted them (the prompt, or prompt plus requested output where it names both); null when it did not say.</param>
    /// <param name="contextWindow">The context window the server said was too small; null when it did not say.</param>
    public ContextWindowExceededException(string message, int? requiredTokens, int? contextWindow)
        : base(message)
    {
        RequiredTokens = requiredTokens;
        ContextWindow = contextWindow;
    }

    /// <summary>
    /// Gets the tokens the request needs, when known: by estimate the prompt plus requested output; from a server's
    /// rejection what the server counted (llama.cpp and vLLM count the prompt, TGI and vLLM's <c>max_tokens</c> error the prompt plus output).
    /// </summary>
    public int? RequiredTokens { get; }

    /// <summary>Gets the context window that was too small, when known (a server's: what one request may use there, for llama.cpp one slot's share).</summary>
    public int? ContextWindow { get; }
}
