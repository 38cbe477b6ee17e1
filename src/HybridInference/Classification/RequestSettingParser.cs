using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace HybridInference.Classification;

/// <summary>
/// Reads a per-request enum setting (<see cref="DataPolicy"/>, <see cref="TaskCategory"/>) from the form it arrived in
/// when it is not already a defined value of the enum: its name (any case), its number, or either inside a
/// <see cref="JsonElement"/> or <see cref="JsonValue"/>. Anything else is refused with an <see cref="ArgumentException"/>
/// naming the key, so that a policy is honoured or refused, never silently taken for the default.
/// </summary>
/// <remarks>Off the hot path: callers check for the enum itself first.</remarks>
internal static class RequestSettingParser
{
    /// <summary>The longest value an error message quotes; longer ones are described by their type only.</summary>
    private const int MaxQuotedLength = 40;

    /// <summary>Parses <paramref name="value"/> as a defined <typeparamref name="TEnum"/>.</summary>
    /// <typeparam name="TEnum">The setting's enum.</typeparam>
    /// <param name="value">The value found under <paramref name="key"/>; not <see langword="null"/>.</param>
    /// <param name="key">The key in <c>ChatOptions.AdditionalProperties</c>, for the error.</param>
    /// <returns>The value, or <see langword="null"/> for a JSON null.</returns>
    /// <exception cref="ArgumentException">The value is not a defined <typeparamref name="TEnum"/> in any accepted form.</exception>
    public static TEnum? Parse<TEnum>(object value, string key)
        where TEnum : struct, Enum
    {
        switch (value)
        {
            case TEnum:
                break; // An undefined value of the enum itself: refused below.
            case Enum:
                break; // Another enum, even with a matching name, is not this setting.
            case string text:
                if (TryParseText(text, out TEnum fromText))
                {
                    return fromText;
                }

                break;
            case JsonElement element:
                if (element.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined)
                {
                    return null;
                }

                if (TryParseJson(element, out TEnum fromJson))
                {
                    return fromJson;
                }

                break;
            case JsonValue node:
                if (node.TryGetValue(out TEnum typed) && Enum.IsDefined(typed))
                {
                    return typed;
                }

                if (node.TryGetValue(out JsonElement inner) ? TryParseJson(inner, out TEnum fromNode)
                    : node.TryGetValue(out string? nodeText) ? TryParseText(nodeText, out fromNode)
                    : TryParseNumber(node.GetValue<object>(), out fromNode))
                {
                    return fromNode;
                }

                break;
            default:
                if (TryParseNumber(value, out TEnum fromNumber))
                {
                    return fromNumber;
                }

                break;
        }

        throw new ArgumentException(
            $"ChatOptions.AdditionalProperties[\"{key}\"] holds {Describe(value)}, which is not a {typeof(TEnum).Name} ({string.Join(", ", Enum.GetNames<TEnum>())}, or its number).",
            "options");
    }

    private static bool TryParseJson<TEnum>(JsonElement element, out TEnum result)
        where TEnum : struct, Enum
    {
        result = default;
        return element.ValueKind switch
        {
            JsonValueKind.String => TryParseText(element.GetString(), out result),
            JsonValueKind.Number => element.TryGetInt64(out var number) && TryFromInt64(number, out result),
            _ => false,
        };
    }

    /// <summary>A name (any case, surrounding spaces allowed) or a whole number; never a comma-separated list of flags.</summary>
    private static bool TryParseText<TEnum>(string? text, out TEnum result)
        where TEnum : struct, Enum
    {
        result = default;
        if (string.IsNullOrWhiteSpace(text) || text.Contains(',', StringComparison.Ordinal))
        {
            return false;
        }

        var trimmed = text.AsSpan().Trim();
        if (long.TryParse(trimmed, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var number))
        {
            return TryFromInt64(number, out result);
        }

        // Names only: the number forms Enum.TryParse would also take were handled above.
        return (char.IsLetter(trimmed[0]) || trimmed[0] == '_') && Enum.TryParse(trimmed, ignoreCase: true, out result) && Enum.IsDefined(result);
    }

    private static bool TryParseNumber<TEnum>(object value, out TEnum result)
        where TEnum : struct, Enum
    {
        result = default;
        switch (value)
        {
            case int or long or short or sbyte or byte or ushort or uint:
                return TryFromInt64(Convert.ToInt64(value, CultureInfo.InvariantCulture), out result);
            case ulong unsigned:
                return unsigned <= long.MaxValue && TryFromInt64((long)unsigned, out result);
            case double or float:
                var real = Convert.ToDouble(value, CultureInfo.InvariantCulture);
                return double.IsFinite(real) && real == Math.Floor(real) && Math.Abs(real) <= int.MaxValue && TryFromInt64((long)real, out result);
            case decimal exact:
                return exact == decimal.Floor(exact) && Math.Abs(exact) <= int.MaxValue && TryFromInt64((long)exact, out result);
            default:
                return false;
        }
    }

    private static bool TryFromInt64<TEnum>(long number, out TEnum result)
        where TEnum : struct, Enum
    {
        // The settings' enums are int-based; a number outside int is no value of theirs.
        result = default;
        if (number is < int.MinValue or > int.MaxValue)
        {
            return false;
        }

        result = (TEnum)Enum.ToObject(typeof(TEnum), (int)number);
        return Enum.IsDefined(result);
    }

    private static string Describe(object value) => value switch
    {
        string text => text.Length <= MaxQuotedLength ? $"\"{text}\"" : $"a string of {text.Length} characters",
        JsonElement element => element.ValueKind is JsonValueKind.String or JsonValueKind.Number && element.GetRawText() is { Length: <= MaxQuotedLength } raw
            ? $"the JSON {element.ValueKind.ToString().ToLowerInvariant()} {raw}"
            : $"a JSON {element.ValueKind.ToString().ToLowerInvariant()}",
        JsonNode => "a JSON node",
        Enum or int or long or short or sbyte or byte or ushort or uint or ulong or double or float or decimal or bool
            => $"{Convert.ToString(value, CultureInfo.InvariantCulture)} ({value.GetType().Name})",
        _ => $"a {value.GetType().Name}",
    };
}
