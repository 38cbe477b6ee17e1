using System.Text.Json;
using HybridInference.JsonSchema;

namespace HybridInference;

/// <summary>
/// Validates JSON documents against JSON Schemas; the schema-validating fallback uses it on local output.
/// Register another implementation in DI to plug in a different validator.
/// </summary>
/// <remarks>Implementations are called concurrently and must be thread-safe. They may cache work per schema.</remarks>
public interface IJsonSchemaValidator
{
    /// <summary>Validates <paramref name="instance"/> against <paramref name="schema"/>.</summary>
    /// <param name="schema">The JSON Schema.</param>
    /// <param name="instance">The document to check.</param>
    /// <returns>The result, with every error found.</returns>
    /// <exception cref="InvalidJsonSchemaException"><paramref name="schema"/> is not a usable JSON Schema.</exception>
    JsonSchemaValidationResult Validate(JsonElement schema, JsonElement instance);

    /// <summary>
    /// Validates <paramref name="instance"/> against <paramref name="schema"/>, stopping when
    /// <paramref name="cancellationToken"/> is cancelled: the chain passes the request's token, which carries
    /// <c>Routing:RequestTimeout</c>, so that validating a huge answer ends at the request's deadline. The default
    /// checks the token once, then calls <see cref="Validate(JsonElement, JsonElement)"/>; override it to check the
    /// token while validating.
    /// </summary>
    /// <param name="schema">The JSON Schema.</param>
    /// <param name="instance">The document to check.</param>
    /// <param name="cancellationToken">Stops the validation.</param>
    /// <returns>The result, with every error found.</returns>
    /// <exception cref="InvalidJsonSchemaException"><paramref name="schema"/> is not a usable JSON Schema.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    JsonSchemaValidationResult Validate(JsonElement schema, JsonElement instance, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        return Validate(schema, instance);
    }

    /// <summary>
    /// Checks <paramref name="schema"/> before a request that uses it is sent (and compiles it, where the
    /// implementation compiles), so that a schema that cannot be used fails the request at once rather than after a
    /// model has answered. The default does nothing.
    /// </summary>
    /// <param name="schema">The JSON Schema of a request's response format.</param>
    /// <exception cref="InvalidJsonSchemaException"><paramref name="schema"/> is not a usable JSON Schema.</exception>
    void PrepareSchema(JsonElement schema)
    {
    }
}
