namespace HybridInference.JsonSchema;

/// <summary>Thrown when a request's JSON Schema cannot be used: it is not a JSON object or boolean, or a keyword has a value of the wrong kind.</summary>
/// <remarks>
/// An <see cref="ArgumentException"/>: the schema is the caller's argument, so the error is the caller's, never a
/// backend's; HybridInference neither retries, escalates nor counts it against a backend.
/// </remarks>
public sealed class InvalidJsonSchemaException : ArgumentException
{
    /// <summary>Initializes a new instance of the <see cref="InvalidJsonSchemaException"/> class.</summary>
    public InvalidJsonSchemaException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="InvalidJsonSchemaException"/> class.</summary>
    /// <param name="message">What is wrong with the schema, and where.</param>
    public InvalidJsonSchemaException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="InvalidJsonSchemaException"/> class.</summary>
    /// <param name="message">What is wrong with the schema, and where.</param>
    /// <param name="innerException">The failure that caused it.</param>
    public InvalidJsonSchemaException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
