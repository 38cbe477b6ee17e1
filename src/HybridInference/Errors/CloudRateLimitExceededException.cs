namespace HybridInference;

/// <summary>
/// Thrown when a request had to go to the cloud but the cloud budget (<c>Cloud:RequestsPerMinute</c>,
/// <c>Cloud:TokensPerMinute</c>) had no room within <c>Cloud:RateLimitQueueTime</c>, and it could not run locally
/// instead. Nothing was sent to the cloud.
/// </summary>
public sealed class CloudRateLimitExceededException : HybridInferenceException
{
    /// <summary>Initializes a new instance of the <see cref="CloudRateLimitExceededException"/> class.</summary>
    public CloudRateLimitExceededException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CloudRateLimitExceededException"/> class.</summary>
    /// <param name="message">Which budget was exhausted.</param>
    public CloudRateLimitExceededException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="CloudRateLimitExceededException"/> class.</summary>
    /// <param name="message">Which budget was exhausted.</param>
    /// <param name="innerException">The failure that caused it.</param>
    public CloudRateLimitExceededException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
