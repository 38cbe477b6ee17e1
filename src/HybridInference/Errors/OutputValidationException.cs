using Microsoft.Extensions.AI;

namespace HybridInference;

/// <summary>
/// Thrown when JSON output failed validation against the request's schema and no further attempt was allowed:
/// every local retry failed and the request may not escalate, or the cloud's answer failed too.
/// </summary>
public sealed class OutputValidationException : HybridInferenceException
{
    /// <summary>Initializes a new instance of the <see cref="OutputValidationException"/> class.</summary>
    public OutputValidationException()
    {
        Errors = [];
    }

    /// <summary>Initializes a new instance of the <see cref="OutputValidationException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    public OutputValidationException(string message)
        : base(message)
    {
        Errors = [];
    }

    /// <summary>Initializes a new instance of the <see cref="OutputValidationException"/> class.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The failure that caused it.</param>
    public OutputValidationException(string message, Exception? innerException)
        : base(message, innerException)
    {
        Errors = [];
    }

    /// <summary>Initializes a new instance of the <see cref="OutputValidationException"/> class with the failed answer.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="errors">The validation errors of the last answer.</param>
    /// <param name="response">The last answer, which failed validation.</param>
    /// <param name="reason">Why the last answer failed.</param>
    public OutputValidationException(string message, IReadOnlyList<JsonSchemaValidationError> errors, ChatResponse? response, ValidationFailureReason reason)
        : base(message)
    {
        ArgumentNullException.ThrowIfNull(errors);
        Errors = errors;
        Response = response;
        Reason = reason;
    }

    /// <summary>Gets why the last answer failed.</summary>
    public ValidationFailureReason Reason { get; }

    /// <summary>Gets the validation errors of the last answer.</summary>
    public IReadOnlyList<JsonSchemaValidationError> Errors { get; }

    /// <summary>Gets the last answer, which failed validation. It may hold model output: do not log it unless allowed to.</summary>
    public ChatResponse? Response { get; }
}
