namespace HybridInference;

/// <summary>The result of validating a JSON document against a schema.</summary>
public readonly struct JsonSchemaValidationResult
{
    /// <summary>Gets a result for a document that matches its schema.</summary>
    public static JsonSchemaValidationResult Valid => default;

    /// <summary>Initializes a new instance of the <see cref="JsonSchemaValidationResult"/> struct for a failed validation.</summary>
    /// <param name="errors">Every error found; not empty.</param>
    /// <exception cref="ArgumentException"><paramref name="errors"/> is empty.</exception>
    public JsonSchemaValidationResult(IReadOnlyList<JsonSchemaValidationError> errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (errors.Count == 0)
        {
            throw new ArgumentException("A failed validation needs at least one error; use JsonSchemaValidationResult.Valid for a valid document.", nameof(errors));
        }

        Errors = errors;
    }

    /// <summary>Gets a value indicating whether the document matches the schema.</summary>
    public bool IsValid => Errors is null;

    /// <summary>Gets the errors found; <see langword="null"/> when the document is valid.</summary>
    public IReadOnlyList<JsonSchemaValidationError>? Errors { get; }
}
