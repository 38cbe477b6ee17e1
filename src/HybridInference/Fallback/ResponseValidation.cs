using System.Text.Json;
using Microsoft.Extensions.AI;

namespace HybridInference.Fallback;

/// <summary>Parses a model's answer as JSON and checks it against the request's schema.</summary>
internal static class ResponseValidation
{
    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = 64 };

    /// <summary>Validates the text of <paramref name="response"/>.</summary>
    /// <param name="validator">The schema validator.</param>
    /// <param name="schema">The schema, or <see langword="null"/> when the request asks only for some JSON.</param>
    /// <param name="response">The model's answer.</param>
    /// <returns>The validation result; text that is not JSON is one error at the root.</returns>
    public static JsonSchemaValidationResult Validate(IJsonSchemaValidator validator, JsonElement? schema, ChatResponse response)
    {
        var text = response.Text;
        if (string.IsNullOrWhiteSpace(text))
        {
            return Invalid("json", "the answer is empty; a JSON document is required");
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(text, DocumentOptions);
        }
        catch (JsonException ex)
        {
            return Invalid("json", $"the answer is not valid JSON: {ex.Message}");
        }

        using (document)
        {
            return schema is { } s ? validator.Validate(s, document.RootElement) : JsonSchemaValidationResult.Valid;
        }
    }

    private static JsonSchemaValidationResult Invalid(string keyword, string message) =>
        new([new JsonSchemaValidationError(string.Empty, keyword, message)]);
}
