using System.Text.Json;
using Microsoft.Extensions.AI;

namespace HybridInference.Calibration;

/// <summary>One line of the prompt file: the prompt, and optionally its category, JSON Schema (and its name), expected answer and data policy.</summary>
internal sealed record CalibrationPrompt(int Line, string Prompt, TaskCategory? Category, JsonElement? Schema, string SchemaName, JsonElement? Expected, DataPolicy? DataPolicy)
{
    /// <summary>The request options the prompt asks for.</summary>
    public ChatOptions ToOptions()
    {
        var options = new ChatOptions();
        if (Schema is { } schema)
        {
            options.ResponseFormat = ChatResponseFormat.ForJsonSchema(schema, SchemaName);
        }

        if (Category is { } category)
        {
            options.WithTaskCategory(category);
        }

        if (DataPolicy is { } policy)
        {
            options.WithDataPolicy(policy);
        }

        return options;
    }

    /// <summary>
    /// Whether <paramref name="answer"/> is the expected one: for a schema, the same JSON value (key order aside); for
    /// text, the expected text appears in the answer (case aside). Null when nothing is expected.
    /// </summary>
    public bool? Matches(string answer)
    {
        if (Expected is not { } expected)
        {
            return null;
        }

        if (expected.ValueKind == JsonValueKind.String)
        {
            return answer.Contains(expected.GetString()!, StringComparison.OrdinalIgnoreCase);
        }

        try
        {
            using var actual = JsonDocument.Parse(answer);
            return JsonElement.DeepEquals(actual.RootElement, expected);
        }
        catch (JsonException)
        {
            return false;
        }
    }
}

/// <summary>Thrown for a prompt file that cannot be used, naming the line and what is wrong with it.</summary>
internal sealed class PromptFileException(string message) : Exception(message);

/// <summary>Reads the JSONL prompt file: one JSON object per line; blank lines and lines starting with <c>//</c> are skipped.</summary>
internal static class PromptFile
{
    public static IReadOnlyList<CalibrationPrompt> Read(string path)
    {
        if (!File.Exists(path))
        {
            throw new PromptFileException($"The prompt file '{path}' does not exist.");
        }

        var prompts = new List<CalibrationPrompt>();
        var number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line) || line.TrimStart().StartsWith("//", StringComparison.Ordinal))
            {
                continue;
            }

            prompts.Add(Parse(path, number, line));
        }

        return prompts.Count > 0 ? prompts : throw new PromptFileException($"The prompt file '{path}' has no prompts.");
    }

    private static CalibrationPrompt Parse(string path, int number, string line)
    {
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(line);
            root = document.RootElement.Clone();
        }
        catch (JsonException ex)
        {
            throw new PromptFileException($"{path} line {number}: not a JSON object ({ex.Message}).");
        }

        string Fail(string what) => throw new PromptFileException($"{path} line {number}: {what}.");

        if (root.ValueKind != JsonValueKind.Object)
        {
            Fail("not a JSON object");
        }

        var prompt = root.TryGetProperty("prompt", out var p) && p.ValueKind == JsonValueKind.String && p.GetString()!.Length > 0
            ? p.GetString()!
            : Fail("\"prompt\" is missing or not a non-empty string");
        TaskCategory? category = root.TryGetProperty("category", out var c) ? c.GetString() switch
        {
            "routine" => TaskCategory.Routine,
            "complex" => TaskCategory.Complex,
            "safety_critical" => TaskCategory.SafetyCritical,
            var other => throw new PromptFileException($"{path} line {number}: \"category\" is '{other}'; expected routine, complex or safety_critical."),
        } : null;
        JsonElement? schema = root.TryGetProperty("schema", out var s)
            ? s.ValueKind is JsonValueKind.Object or JsonValueKind.True or JsonValueKind.False ? s : throw new PromptFileException($"{path} line {number}: \"schema\" must be a JSON Schema (an object or a boolean).")
            : null;
        var schemaName = root.TryGetProperty("schema_name", out var n) && n.ValueKind == JsonValueKind.String ? n.GetString()! : "output";
        JsonElement? expected = root.TryGetProperty("expected", out var e) ? e : null;
        DataPolicy? policy = root.TryGetProperty("data_policy", out var d) ? d.GetString() switch
        {
            "local_only" => HybridInference.DataPolicy.LocalOnly,
            "any" => HybridInference.DataPolicy.Any,
            var other => throw new PromptFileException($"{path} line {number}: \"data_policy\" is '{other}'; expected local_only or any."),
        } : null;
        return new CalibrationPrompt(number, prompt, category, schema, schemaName, expected, policy);
    }
}
