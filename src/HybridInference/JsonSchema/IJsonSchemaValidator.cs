using System.Text.Json;

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
}
