namespace HybridInference.JsonSchema;

/// <summary>
/// Unwinds an evaluation that went deeper than <see cref="EvaluationContext.MaxDepth"/>; the compiled schema turns it
/// into a validation error, so it never leaves the validator.
/// </summary>
internal sealed class EvaluationTooDeepException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="EvaluationTooDeepException"/> class.</summary>
    public EvaluationTooDeepException()
    {
        SchemaLocation = string.Empty;
    }

    /// <summary>Initializes a new instance of the <see cref="EvaluationTooDeepException"/> class.</summary>
    /// <param name="schemaLocation">The schema being applied when the limit was reached.</param>
    public EvaluationTooDeepException(string schemaLocation)
        : base($"Evaluation nested more than {EvaluationContext.MaxDepth} schemas deep at '{schemaLocation}'.")
    {
        SchemaLocation = schemaLocation;
    }

    /// <summary>Initializes a new instance of the <see cref="EvaluationTooDeepException"/> class.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public EvaluationTooDeepException(string message, Exception? innerException)
        : base(message, innerException)
    {
        SchemaLocation = string.Empty;
    }

    /// <summary>Gets the location of the schema being applied when the limit was reached.</summary>
    public string SchemaLocation { get; }
}
