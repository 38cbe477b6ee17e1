using System.Text.Json;
using System.Text.RegularExpressions;

namespace HybridInference.JsonSchema;

/// <content>
/// Reading one keyword's value (a schema array, a map, types, strings, a number, a count, a pattern), and the errors
/// that name what is wrong with it and where.
/// </content>
internal sealed partial class SchemaCompiler
{
    private SchemaNode[] ReadSchemaArray(JsonElement value, string keyword, SchemaLocation location)
    {
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
        {
            throw Invalid(keyword, location, "must be a non-empty array of schemas");
        }

        var nodes = new SchemaNode[value.GetArrayLength()];
        for (var i = 0; i < nodes.Length; i++)
        {
            nodes[i] = CompileNode(Child(Child(location, keyword), i));
        }

        return nodes;
    }

    private T[] ReadMap<T>(JsonElement value, string keyword, SchemaLocation location, Func<string, JsonElement, T> read)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Invalid(keyword, location, "must be an object");
        }

        List<T> entries = [];
        foreach (var member in value.EnumerateObject())
        {
            entries.Add(read(member.Name, member.Value));
        }

        return [.. entries];
    }

    private JsonTypes ReadTypes(JsonElement value, SchemaLocation location)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            return JsonTypeNames.TryParse(value.GetString(), out var type) ? type : throw Invalid("type", location, $"names an unknown type '{value.GetString()}'");
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw Invalid("type", location, "must be a type name or an array of type names");
        }

        var types = JsonTypes.None;
        foreach (var item in value.EnumerateArray())
        {
            types |= item.ValueKind == JsonValueKind.String && JsonTypeNames.TryParse(item.GetString(), out var type)
                ? type
                : throw Invalid("type", location, $"names an unknown type {item.GetRawText()}");
        }

        return types;
    }

    private string[] ReadStrings(JsonElement value, string keyword, SchemaLocation location)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw Invalid(keyword, location, "must be an array of strings");
        }

        List<string> strings = [];
        foreach (var item in value.EnumerateArray())
        {
            strings.Add(item.ValueKind == JsonValueKind.String ? item.GetString()! : throw Invalid(keyword, location, "must be an array of strings"));
        }

        return [.. strings];
    }

    private string ReadString(JsonElement value, string keyword, SchemaLocation location) =>
        value.ValueKind == JsonValueKind.String ? value.GetString()! : throw Invalid(keyword, location, "must be a string");

    private double ReadNumber(JsonElement value, string keyword, SchemaLocation location) =>
        value.ValueKind == JsonValueKind.Number ? JsonValues.GetDouble(value) : throw Invalid(keyword, location, "must be a number");

    private int ReadCount(JsonElement value, string keyword, SchemaLocation location)
    {
        if (value.ValueKind != JsonValueKind.Number || !JsonValues.IsInteger(value) || JsonValues.GetDouble(value) < 0)
        {
            throw Invalid(keyword, location, "must be a non-negative integer");
        }

        return (int)Math.Min(JsonValues.GetDouble(value), int.MaxValue);
    }

    private Regex CreateRegex(string pattern, string keyword, SchemaLocation location)
    {
        try
        {
            return EcmaRegex.Create(pattern);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidJsonSchemaException($"'{keyword}' at '{Describe(location)}' holds '{pattern}', which is not a valid regular expression: {ex.Message}", ex);
        }
    }

    private InvalidJsonSchemaException Invalid(string keyword, SchemaLocation location, string problem) =>
        new($"'{keyword}' at '{Describe(location)}' {problem}.");

    private string Describe(SchemaLocation location) =>
        location.Document == 0 ? $"#{location.Pointer}" : $"{_roots[location.Document].Uri}#{location.Pointer}";

    private static string DescribeKind(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Undefined => "nothing",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.Null => "null",
        _ => kind.ToString(),
    };
}
