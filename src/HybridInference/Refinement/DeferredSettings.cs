using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.AI;

namespace HybridInference.Refinement;

/// <summary>
/// The settings of a deferred request that its later cloud call needs, stored with its outbox item as JSON: the
/// instructions, the sampling settings, the output limit and the JSON schema asked for. Tools are never stored (work
/// that offers tools is not deferred), nor the caller's additional properties.
/// </summary>
internal sealed record DeferredSettings(
    string? Instructions,
    int? MaxOutputTokens,
    float? Temperature,
    float? TopP,
    int? TopK,
    float? FrequencyPenalty,
    float? PresencePenalty,
    long? Seed,
    IList<string>? StopSequences,
    bool Json,
    JsonElement? Schema,
    string? SchemaName,
    string? SchemaDescription)
{
    /// <summary>Captures what the later call needs of <paramref name="options"/>, as JSON.</summary>
    public static string Capture(ChatOptions options)
    {
        var json = options.ResponseFormat as ChatResponseFormatJson;
        var settings = new DeferredSettings(
            options.Instructions, options.MaxOutputTokens, options.Temperature, options.TopP, options.TopK, options.FrequencyPenalty,
            options.PresencePenalty, options.Seed, options.StopSequences is { Count: > 0 } stops ? [.. stops] : null,
            json is not null, json?.Schema, json?.SchemaName, json?.SchemaDescription);
        return JsonSerializer.Serialize(settings, DeferredSettingsJson.Default.DeferredSettings);
    }

    /// <summary>The options of the later cloud call, from the stored JSON (empty options when there is none).</summary>
    /// <exception cref="JsonException">The stored settings are not valid JSON of this shape (the item's own fault).</exception>
    public static ChatOptions Restore(string? stored)
    {
        if (string.IsNullOrEmpty(stored))
        {
            return new ChatOptions();
        }

        var settings = JsonSerializer.Deserialize(stored, DeferredSettingsJson.Default.DeferredSettings) ?? throw new JsonException("The stored settings are null.");
        return new ChatOptions
        {
            Instructions = settings.Instructions,
            MaxOutputTokens = settings.MaxOutputTokens,
            Temperature = settings.Temperature,
            TopP = settings.TopP,
            TopK = settings.TopK,
            FrequencyPenalty = settings.FrequencyPenalty,
            PresencePenalty = settings.PresencePenalty,
            Seed = settings.Seed,
            StopSequences = settings.StopSequences,
            ResponseFormat = !settings.Json ? null
                : settings.Schema is { } schema ? ChatResponseFormat.ForJsonSchema(schema, settings.SchemaName, settings.SchemaDescription)
                : ChatResponseFormat.Json,
        };
    }
}

/// <summary>Source-generated JSON for <see cref="DeferredSettings"/> (no reflection, trimming-safe).</summary>
[JsonSerializable(typeof(DeferredSettings))]
internal sealed partial class DeferredSettingsJson : JsonSerializerContext;
