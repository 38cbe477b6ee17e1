using System.Globalization;
using System.Text.Json;

namespace HybridInference.JsonSchema;

/// <summary>
/// A JSON Schema validator for the keywords structured-output schemas use most: <c>type</c>, <c>properties</c>,
/// <c>required</c>, <c>additionalProperties</c>, <c>items</c>, <c>enum</c> and <c>const</c>; boolean schemas too.
/// Other keywords are ignored (treated as annotations), so it can accept a document a complete validator rejects.
/// </summary>
/// <remarks>Stateless and thread-safe. A complete draft 2020-12 validator replaces it behind <see cref="IJsonSchemaValidator"/>.</remarks>
internal sealed class BasicJsonSchemaValidator : IJsonSchemaValidator
{
    public JsonSchemaValidationResult Validate(JsonElement schema, JsonElement instance)
    {
        List<JsonSchemaValidationError>? errors = null;
        ValidateNode(schema, instance, string.Empty, "#", ref errors);
        return errors is null ? JsonSchemaValidationResult.Valid : new JsonSchemaValidationResult(errors);
    }

    private static void ValidateNode(JsonElement schema, JsonElement instance, string path, string schemaPath, ref List<JsonSchemaValidationError>? errors)
    {
        switch (schema.ValueKind)
        {
            case JsonValueKind.True:
                return;
            case JsonValueKind.False:
                Add(ref errors, path, "false", "no value is allowed here");
                return;
            case JsonValueKind.Object:
                break;
            default:
                throw new InvalidJsonSchemaException($"The schema at '{schemaPath}' must be an object or a boolean, not {Describe(schema.ValueKind)}.");
        }

        if (schema.TryGetProperty("type"u8, out var type) && !MatchesType(type, instance, schemaPath))
        {
            Add(ref errors, path, "type", $"expected {DescribeType(type)} but found {Describe(instance)}");
            return; // Further keywords would only repeat the type error.
        }

        if (schema.TryGetProperty("const"u8, out var constant) && !JsonElement.DeepEquals(constant, instance))
        {
            Add(ref errors, path, "const", $"expected the value {constant.GetRawText()}");
        }

        if (schema.TryGetProperty("enum"u8, out var allowed))
        {
            if (allowed.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidJsonSchemaException($"'enum' at '{schemaPath}' must be an array.");
            }

            if (!ContainsEqual(allowed, instance))
            {
                Add(ref errors, path, "enum", $"value {Truncate(instance.GetRawText())} is not one of {Truncate(allowed.GetRawText())}");
            }
        }

        if (instance.ValueKind == JsonValueKind.Object)
        {
            ValidateObject(schema, instance, path, schemaPath, ref errors);
        }
        else if (instance.ValueKind == JsonValueKind.Array && schema.TryGetProperty("items"u8, out var items))
        {
            var index = 0;
            foreach (var item in instance.EnumerateArray())
            {
                ValidateNode(items, item, path + "/" + index.ToString(CultureInfo.InvariantCulture), schemaPath + "/items", ref errors);
                index++;
            }
        }
    }

    private static void ValidateObject(JsonElement schema, JsonElement instance, string path, string schemaPath, ref List<JsonSchemaValidationError>? errors)
    {
        if (schema.TryGetProperty("required"u8, out var required))
        {
            if (required.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidJsonSchemaException($"'required' at '{schemaPath}' must be an array of strings.");
            }

            foreach (var name in required.EnumerateArray())
            {
                if (name.ValueKind != JsonValueKind.String)
                {
                    throw new InvalidJsonSchemaException($"'required' at '{schemaPath}' must be an array of strings.");
                }

                if (!instance.TryGetProperty(name.GetString()!, out _))
                {
                    Add(ref errors, path, "required", $"required property '{name.GetString()}' is missing");
                }
            }
        }

        var hasProperties = schema.TryGetProperty("properties"u8, out var properties);
        if (hasProperties && properties.ValueKind != JsonValueKind.Object)
        {
            throw new InvalidJsonSchemaException($"'properties' at '{schemaPath}' must be an object.");
        }

        var hasAdditional = schema.TryGetProperty("additionalProperties"u8, out var additional);
        if (!hasProperties && !hasAdditional)
        {
            return;
        }

        foreach (var property in instance.EnumerateObject())
        {
            var childPath = path + "/" + EscapePointer(property.Name);
            if (hasProperties && properties.TryGetProperty(property.Name, out var propertySchema))
            {
                ValidateNode(propertySchema, property.Value, childPath, schemaPath + "/properties/" + EscapePointer(property.Name), ref errors);
            }
            else if (hasAdditional)
            {
                if (additional.ValueKind == JsonValueKind.False)
                {
                    Add(ref errors, path, "additionalProperties", $"property '{property.Name}' is not allowed");
                }
                else
                {
                    ValidateNode(additional, property.Value, childPath, schemaPath + "/additionalProperties", ref errors);
                }
            }
        }
    }

    private static bool MatchesType(JsonElement type, JsonElement instance, string schemaPath)
    {
        if (type.ValueKind == JsonValueKind.String)
        {
            return MatchesTypeName(type.GetString()!, instance, schemaPath);
        }

        if (type.ValueKind == JsonValueKind.Array)
        {
            foreach (var name in type.EnumerateArray())
            {
                if (name.ValueKind != JsonValueKind.String)
                {
                    throw new InvalidJsonSchemaException($"'type' at '{schemaPath}' must be a string or an array of strings.");
                }

                if (MatchesTypeName(name.GetString()!, instance, schemaPath))
                {
                    return true;
                }
            }

            return false;
        }

        throw new InvalidJsonSchemaException($"'type' at '{schemaPath}' must be a string or an array of strings.");
    }

    private static bool MatchesTypeName(string name, JsonElement instance, string schemaPath) => name switch
    {
        "object" => instance.ValueKind == JsonValueKind.Object,
        "array" => instance.ValueKind == JsonValueKind.Array,
        "string" => instance.ValueKind == JsonValueKind.String,
        "boolean" => instance.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "null" => instance.ValueKind == JsonValueKind.Null,
        "number" => instance.ValueKind == JsonValueKind.Number,
        "integer" => instance.ValueKind == JsonValueKind.Number && IsInteger(instance),
        _ => throw new InvalidJsonSchemaException($"'type' at '{schemaPath}' names an unknown type '{name}'."),
    };

    // JSON Schema counts 1.0 as an integer: what matters is the value, not how it is written.
    private static bool IsInteger(JsonElement number) =>
        number.TryGetInt64(out _)
        || (number.TryGetDecimal(out var d) ? d == decimal.Truncate(d) : Math.Floor(number.GetDouble()) == number.GetDouble());

    private static bool ContainsEqual(JsonElement array, JsonElement instance)
    {
        foreach (var candidate in array.EnumerateArray())
        {
            if (JsonElement.DeepEquals(candidate, instance))
            {
                return true;
            }
        }

        return false;
    }

    private static void Add(ref List<JsonSchemaValidationError>? errors, string path, string keyword, string message) =>
        (errors ??= []).Add(new JsonSchemaValidationError(path, keyword, message));

    private static string EscapePointer(string name) =>
        name.Contains('~', StringComparison.Ordinal) || name.Contains('/', StringComparison.Ordinal)
            ? name.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal)
            : name;

    private static string DescribeType(JsonElement type) =>
        type.ValueKind == JsonValueKind.String ? type.GetString()! : "one of " + type.GetRawText();

    private static string Describe(JsonElement instance) => instance.ValueKind switch
    {
        JsonValueKind.Number => IsInteger(instance) ? "integer" : "number",
        _ => Describe(instance.ValueKind),
    };

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    private static string Truncate(string text) => text.Length <= 80 ? text : string.Concat(text.AsSpan(0, 77), "...");
}
