namespace HybridInference;

/// <summary>
/// Thrown when a stream fails after output has reached the caller. Past its first token a stream is committed to its
/// backend: it is not retried, failed over or escalated, because the caller already holds part of the answer. The
/// backend's failure is the <see cref="Exception.InnerException"/>.
/// </summary>
public sealed class StreamInterruptedException : HybridInferenceException
{
    /// <summary>Initializes a new instance of the <see cref="StreamInterruptedException"/> class.</summary>
    public StreamInterruptedException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="StreamInterruptedException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    public StreamInterruptedException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="StreamInterruptedException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The backend's failure.</param>
    public StreamInterruptedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
