using System.Text.Json;
using Microsoft.Extensions.AI;

namespace HybridInference.Fallback;

/// <summary>The verdict on one JSON answer: the validation result, why it failed, and the JSON extracted from around it, if any.</summary>
/// <param name="Result">The validation result; errors describe the failure for the retry prompt.</param>
/// <param name="Reason">Why the answer failed; meaningless when it is valid.</param>
/// <param name="ExtractedJson">The JSON found inside the answer's prose or code fence, or <see langword="null"/> when the answer was JSON as it stood.</param>
internal readonly record struct AnswerCheck(JsonSchemaValidationResult Result, ValidationFailureReason Reason, string? ExtractedJson)
{
    /// <summary>Gets a value indicating whether the answer is valid.</summary>
    public bool IsValid => Result.IsValid;
}

/// <summary>Parses a model's answer as JSON (extracting it from surrounding text when allowed) and checks it against the request's schema.</summary>
internal static class ResponseValidation
{
    /// <summary>How deeply an answer may nest; deeper is not JSON the request can use (System.Text.Json stops the parse, no recursion).</summary>
    public const int MaxAnswerDepth = 64;

    private static readonly JsonDocumentOptions DocumentOptions = new() { MaxDepth = MaxAnswerDepth };

    /// <summary>Checks the text of <paramref name="response"/>.</summary>
    /// <param name="validator">The schema validator.</param>
    /// <param name="schema">The schema, or <see langword="null"/> when the request asks only for some JSON.</param>
    /// <param name="response">The model's answer.</param>
    /// <param name="extractJson">Whether JSON may be extracted from a code fence or prose around it.</param>
    /// <param name="cancellationToken">The request's token (its deadline included): validating a huge answer stops at it.</param>
    /// <returns>The verdict; text that is not JSON, or nested deeper than <see cref="MaxAnswerDepth"/>, is one error at the root.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static AnswerCheck Check(IJsonSchemaValidator validator, JsonElement? schema, ChatResponse response, bool extractJson, CancellationToken cancellationToken = default)
    {
        var text = response.Text;
        var truncated = response.FinishReason == ChatFinishReason.Length;
        if (string.IsNullOrWhiteSpace(text))
        {
            return truncated
                ? Fail(ValidationFailureReason.Truncated, "the answer was cut off by the output token limit before any JSON was written")
                : Fail(ValidationFailureReason.InvalidJson, "the answer is empty; a JSON document is required");
        }

        string? extracted = null;
        var document = TryParse(text, out var parseError);
        if (document is null && NestsDeeperThan(text, MaxAnswerDepth))
        {
            // Too deep to be the answer asked for; and a fragment mined from inside it could pass, so none is.
            return Fail(ValidationFailureReason.InvalidJson, $"the answer nests deeper than {MaxAnswerDepth} levels of arrays and objects, more than an answer may");
        }

        // A cut-off answer is never mined for a fragment: an inner object of an incomplete document could pass.
        if (document is null && extractJson && !truncated && JsonExtraction.Extract(text, static candidate => TryParse(candidate, out _)) is { } found)
        {
            (extracted, document) = found;
        }

        if (document is null)
        {
            return truncated
                ? Fail(ValidationFailureReason.Truncated, "the answer was cut off by the output token limit, so its JSON is incomplete")
                : Fail(ValidationFailureReason.InvalidJson, $"the answer is not valid JSON: {parseError}");
        }

        using (document)
        {
            if (schema is not { } s)
            {
                return new AnswerCheck(JsonSchemaValidationResult.Valid, default, extracted);
            }

            var result = validator.Validate(s, document.RootElement, cancellationToken);
            if (result.IsValid)
            {
                return new AnswerCheck(result, default, extracted);
            }

            if (IsSchemaEcho(document.RootElement, s))
            {
                return new AnswerCheck(
                    Invalid("schema-echo", "the answer is a JSON Schema (the one given, or its shape) instead of data that conforms to it"),
                    ValidationFailureReason.SchemaEcho,
                    extracted);
            }

            return new AnswerCheck(result, ValidationFailureReason.SchemaMismatch, extracted);
        }
    }

    /// <summary>
    /// Recognises the answer of a small model that repeats the schema instead of filling it in: the schema itself,
    /// or an object with <c>$schema</c>, or with <c>"type": "object"</c> beside a <c>properties</c> object, unless the
    /// schema asks for a member named <c>properties</c>.
    /// </summary>
    private static bool IsSchemaEcho(JsonElement answer, JsonElement schema)
    {
        if (answer.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        if (JsonElement.DeepEquals(answer, schema) || answer.TryGetProperty("$schema"u8, out _))
        {
            return true;
        }

        var schemaWantsProperties = schema.ValueKind == JsonValueKind.Object
            && schema.TryGetProperty("properties"u8, out var declared) && declared.ValueKind == JsonValueKind.Object
            && declared.TryGetProperty("properties"u8, out _);
        return !schemaWantsProperties
            && answer.TryGetProperty("properties"u8, out var properties) && properties.ValueKind == JsonValueKind.Object
            && answer.TryGetProperty("type"u8, out var type) && type.ValueKind == JsonValueKind.String && type.ValueEquals("object"u8);
    }

    /// <summary>Whether brackets outside strings nest deeper than <paramref name="limit"/>: one pass, no recursion.</summary>
    private static bool NestsDeeperThan(string text, int limit)
    {
        var depth = 0;
        var inString = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (inString)
            {
                if (c == '\\')
                {
                    i++;
                }
                else if (c == '"')
                {
                    inString = false;
                }
            }
            else if (c == '"')
            {
                inString = true;
            }
            else if (c is '[' or '{')
            {
                if (++depth > limit)
                {
                    return true;
                }
            }
            else if (c is ']' or '}' && depth > 0)
            {
                depth--;
            }
        }

        return false;
    }

    private static JsonDocument? TryParse(string text, out string? error)
    {
        try
        {
            error = null;
            return JsonDocument.Parse(text, DocumentOptions);
        }
        catch (JsonException ex)
        {
            error = ex.Message;
            return null;
        }
    }

    private static AnswerCheck Fail(ValidationFailureReason reason, string message) =>
        new(Invalid(reason == ValidationFailureReason.Truncated ? "truncated" : "json", message), reason, null);

    private static JsonSchemaValidationResult Invalid(string keyword, string message) =>
        new([new JsonSchemaValidationError(string.Empty, keyword, message)]);

    /// <summary>Replaces the answer's text with the JSON extracted from it, keeping everything else (usage, ids, non-text content).</summary>
    public static ChatResponse WithJson(ChatResponse response, string? extracted)
    {
        if (extracted is null)
        {
            return response;
        }

        var last = response.Messages.Count > 0 ? response.Messages[^1] : null;
        List<AIContent> contents = [new TextContent(extracted)];
        foreach (var message in response.Messages)
        {
            foreach (var content in message.Contents)
            {
                if (content is not TextContent)
                {
                    contents.Add(content);
                }
            }
        }

        response.Messages = [new ChatMessage(ChatRole.Assistant, contents)
        {
            AuthorName = last?.AuthorName,
            MessageId = last?.MessageId,
            CreatedAt = last?.CreatedAt,
            AdditionalProperties = last?.AdditionalProperties,
        }];
        return response;
    }

    /// <summary>Lists the first errors for a message (as many as a retry prompt quotes).</summary>
    public static string Describe(IReadOnlyList<JsonSchemaValidationError> errors) =>
        string.Join("; ", errors.Take(Internal.Defaults.RetryPromptMaxErrors));

    /// <summary>Says in words why an answer failed.</summary>
    public static string Describe(ValidationFailureReason reason) => reason switch
    {
        ValidationFailureReason.InvalidJson => "not JSON",
        ValidationFailureReason.Truncated => "cut off by the output token limit",
        ValidationFailureReason.SchemaEcho => "the schema repeated instead of data",
        _ => "does not match the schema",
    };
}
