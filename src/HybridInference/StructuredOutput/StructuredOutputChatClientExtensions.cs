using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Nodes;
using HybridInference.Fallback;
using HybridInference.Internal;
using HybridInference.JsonSchema;
using Microsoft.Extensions.AI;

namespace HybridInference;

/// <summary>Asks any <see cref="IChatClient"/> (the hybrid one above all) for a typed answer.</summary>
public static class StructuredOutputChatClientExtensions
{
    private static readonly JsonSchemaValidator SharedValidator = new();

    /// <summary>
    /// Sends <paramref name="messages"/> with a JSON Schema built from <typeparamref name="T"/>
    /// (<see cref="AIJsonUtilities.CreateJsonSchema"/>), then validates the answer against it and reads it as a
    /// <typeparamref name="T"/>. Through the hybrid client the request takes the whole chain: local first, a
    /// constrained local retry on invalid output, escalation to the cloud when allowed.
    /// </summary>
    /// <typeparam name="T">The type of the answer. A type whose schema is not an object (a number, a list) is wrapped in an object with one property, <c>data</c>, as OpenAI's structured outputs require.</typeparam>
    /// <param name="client">The chat client.</param>
    /// <param name="messages">The conversation.</param>
    /// <param name="options">The request's options; not changed (a copy carries the response format).</param>
    /// <param name="serializerOptions">How <typeparamref name="T"/> is described and read; <see cref="AIJsonUtilities.DefaultOptions"/> when <see langword="null"/>.</param>
    /// <param name="cancellationToken">Cancels the request.</param>
    /// <returns>The value and the response.</returns>
    /// <exception cref="OutputValidationException">The answer is not valid JSON for the schema, or cannot be read as <typeparamref name="T"/>.</exception>
    public static async Task<StructuredResponse<T>> GetResponseAsync<T>(
        this IChatClient client,
        IEnumerable<ChatMessage> messages,
        ChatOptions? options = null,
        JsonSerializerOptions? serializerOptions = null,
        CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(messages);
        serializerOptions ??= AIJsonUtilities.DefaultOptions;
        serializerOptions.MakeReadOnly(populateMissingResolver: true);
        var schema = SchemaFor<T>.Get(serializerOptions);

        var requestOptions = options?.Clone() ?? new ChatOptions();
        requestOptions.ResponseFormat = ChatResponseFormat.ForJsonSchema(schema.Schema, schema.Name);
        var response = await client.GetResponseAsync(messages, requestOptions, cancellationToken).ConfigureAwait(false);

        // The hybrid chain has validated a local answer already (a cache hit here); a cloud-routed answer or another client's has not.
        var validator = client.GetService<IJsonSchemaValidator>() ?? SharedValidator;
        var check = ResponseValidation.Check(validator, schema.Schema, response, extractJson: true, cancellationToken);
        if (!check.IsValid)
        {
            throw new OutputValidationException(
                $"The answer is not a valid {typeof(T).Name}: {string.Join("; ", check.Result.Errors!)}", check.Result.Errors!, response, check.Reason);
        }

        var json = check.ExtractedJson ?? response.Text;
        try
        {
            using var document = JsonDocument.Parse(json);
            var value = schema.Wrapped ? document.RootElement.GetProperty("data") : document.RootElement;
            var result = (T)value.Deserialize(serializerOptions.GetTypeInfo(typeof(T)))!;
            return new StructuredResponse<T>(result, response);
        }
        catch (JsonException ex)
        {
            var error = new JsonSchemaValidationError(ex.Path ?? string.Empty, "deserialize", $"the JSON cannot be read as {typeof(T).Name}: {ex.Message}");
            throw new OutputValidationException($"The answer is valid for the schema but cannot be read as {typeof(T).Name}: {ex.Message}", [error], response, ValidationFailureReason.SchemaMismatch);
        }
    }

    /// <summary>The schema of <typeparamref name="T"/>, built once per serializer options.</summary>
    private static class SchemaFor<T>
    {
        private static readonly ConditionalWeakTable<JsonSerializerOptions, TypeSchema> Cache = [];

        public static TypeSchema Get(JsonSerializerOptions options) =>
            Cache.GetValue(options, static o => Create(o));

        private static TypeSchema Create(JsonSerializerOptions options)
        {
            var schema = AIJsonUtilities.CreateJsonSchema(typeof(T), serializerOptions: options);
            var name = SchemaName(typeof(T));
            if (schema.ValueKind == JsonValueKind.Object && schema.TryGetProperty("type"u8, out var type) && type.ValueKind == JsonValueKind.String && type.ValueEquals("object"u8))
            {
                return new TypeSchema(schema, name, Wrapped: false);
            }

            var wrapped = new JsonObject
            {
                ["type"] = "object",
                ["properties"] = new JsonObject { ["data"] = JsonNode.Parse(schema.GetRawText()) },
                ["required"] = new JsonArray("data"),
                ["additionalProperties"] = false,
            };
            using var document = JsonDocument.Parse(wrapped.ToJsonString());
            return new TypeSchema(document.RootElement.Clone(), name, Wrapped: true);
        }
    }

    /// <summary>Names the schema as OpenAI's structured outputs accept (letters, digits, <c>_</c> and <c>-</c>): <c>List`1</c> becomes <c>List_1</c>.</summary>
    private static string SchemaName(Type type)
    {
        var name = type.Name.ToCharArray();
        for (var i = 0; i < name.Length; i++)
        {
            if (!char.IsAsciiLetterOrDigit(name[i]) && name[i] is not ('_' or '-'))
            {
                name[i] = '_';
            }
        }

        return new string(name, 0, Math.Min(name.Length, RequestGuard.MaxNameLength)); // OpenAI takes at most 64 characters.
    }

    private sealed record TypeSchema(JsonElement Schema, string Name, bool Wrapped);
}
