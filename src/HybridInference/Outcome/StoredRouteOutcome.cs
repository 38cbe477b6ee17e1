using System.Text.Json;

namespace HybridInference.Internal;

/// <summary>
/// Reads the serialized form of an outcome, as a cache stores it with the response: what the stored request was
/// (category, decision, model, sensitive topic), with nothing spent now.
/// </summary>
internal static class StoredRouteOutcome
{
    public static RouteOutcome Parse(JsonElement json)
    {
        if (json.ValueKind != JsonValueKind.Object)
        {
            return Empty(default, default, default, null, 0, jsonRequired: false, sensitiveTopic: null);
        }

        return Empty(
            Enum<TaskCategory>(json, nameof(RouteOutcome.Category)),
            Enum<RouteTarget>(json, nameof(RouteOutcome.Decision)),
            Enum<RouteReason>(json, nameof(RouteOutcome.DecisionReason)),
            Find(json, nameof(RouteOutcome.Model)) is { ValueKind: JsonValueKind.String } model ? model.GetString() : null,
            Find(json, nameof(RouteOutcome.EstimatedPromptTokens)) is { ValueKind: JsonValueKind.Number } tokens && tokens.TryGetInt32(out var t) ? t : 0,
            Find(json, nameof(RouteOutcome.JsonRequired)) is { ValueKind: JsonValueKind.True },
            Find(json, nameof(RouteOutcome.SensitiveTopic)) is { ValueKind: JsonValueKind.String } topic ? topic.GetString() : null);
    }

    private static RouteOutcome Empty(TaskCategory category, RouteTarget decision, RouteReason reason, string? model, int estimatedTokens, bool jsonRequired, string? sensitiveTopic) => new()
    {
        Target = decision == RouteTarget.Cloud ? BackendLane.Cloud : BackendLane.Local,
        Backend = RouteOutcomes.CacheBackend,
        Model = model,
        Category = category,
        Decision = decision,
        DecisionReason = reason,
        Attempts = 0,
        EscalationReason = EscalationReason.None,
        ValidationFailures = 0,
        EstimatedPromptTokens = estimatedTokens,
        InputTokens = 0,
        OutputTokens = 0,
        CostUsd = 0,
        CloudBaselineCostUsd = 0,
        Duration = TimeSpan.Zero,
        OutputCommitted = true,
        JsonRequired = jsonRequired,
        SensitiveTopic = sensitiveTopic,
        ServedFromCache = true,
    };

    /// <summary>Finds a property by name in any case (serializers differ: PascalCase, camelCase).</summary>
    private static JsonElement? Find(JsonElement json, string name)
    {
        foreach (var property in json.EnumerateObject())
        {
            if (string.Equals(property.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return property.Value;
            }
        }

        return null;
    }

    /// <summary>Reads an enum written as its number or its name; an unknown value reads as the default.</summary>
    private static T Enum<T>(JsonElement json, string name)
        where T : struct, Enum => Find(json, name) switch
        {
            { ValueKind: JsonValueKind.Number } number when number.TryGetInt32(out var value) && System.Enum.IsDefined(typeof(T), value) => (T)(object)value,
            { ValueKind: JsonValueKind.String } text when System.Enum.TryParse<T>(text.GetString(), ignoreCase: true, out var parsed) && System.Enum.IsDefined(parsed) => parsed,
            _ => default,
        };
}
