using System.Text;
using System.Text.Json;

namespace HybridInference.JsonSchema;

/// <summary>The JSON Schema type names of the <c>type</c> keyword, as flags.</summary>
[Flags]
internal enum JsonTypes
{
    /// <summary>No <c>type</c> keyword.</summary>
    None = 0,

    /// <summary><c>null</c>.</summary>
    Null = 1,

    /// <summary><c>boolean</c>.</summary>
    Boolean = 2,

    /// <summary><c>object</c>.</summary>
    Object = 4,

    /// <summary><c>array</c>.</summary>
    Array = 8,

    /// <summary><c>number</c> (integers included).</summary>
    Number = 16,

    /// <summary><c>integer</c>: a number with no fractional part (<c>1.0</c> included).</summary>
    Integer = 32,

    /// <summary><c>string</c>.</summary>
    String = 64,
}

/// <summary>Reads type names and describes values for error messages.</summary>
internal static class JsonTypeNames
{
    /// <summary>Parses one type name of the <c>type</c> keyword.</summary>
    public static bool TryParse(string? name, out JsonTypes type)
    {
        type = name switch
        {
            "null" => JsonTypes.Null,
            "boolean" => JsonTypes.Boolean,
            "object" => JsonTypes.Object,
            "array" => JsonTypes.Array,
            "number" => JsonTypes.Number,
            "integer" => JsonTypes.Integer,
            "string" => JsonTypes.String,
            _ => JsonTypes.None,
        };
        return type != JsonTypes.None;
    }

    /// <summary>Describes <paramref name="types"/> as a model can read it ("string or null").</summary>
    public static string Describe(JsonTypes types)
    {
        var text = new StringBuilder();
        foreach (var (flag, name) in Names)
        {
            if ((types & flag) != 0)
            {
                text.Append(text.Length == 0 ? string.Empty : " or ").Append(name);
            }
        }

        return text.ToString();
    }

    /// <summary>Names the JSON type of <paramref name="value"/> ("integer" for whole numbers).</summary>
    public static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.Object => "object",
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => JsonValues.IsInteger(value) ? "integer" : "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Null => "null",
        _ => "nothing",
    };

    private static readonly (JsonTypes Flag, string Name)[] Names =
    [
        (JsonTypes.Object, "object"), (JsonTypes.Array, "array"), (JsonTypes.String, "string"), (JsonTypes.Number, "number"),
        (JsonTypes.Integer, "integer"), (JsonTypes.Boolean, "boolean"), (JsonTypes.Null, "null"),
    ];
}
