namespace HybridInference;

/// <summary>The base of every error the hybrid client raises on its own account (not a backend's exception passed through).</summary>
public class HybridInferenceException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="HybridInferenceException"/> class.</summary>
    public HybridInferenceException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="HybridInferenceException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    public HybridInferenceException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="HybridInferenceException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The failure that caused it.</param>
    public HybridInferenceException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
