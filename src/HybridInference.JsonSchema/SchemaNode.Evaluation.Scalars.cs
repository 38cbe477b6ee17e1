using System.Text.Json;
using System.Text.RegularExpressions;

namespace HybridInference.JsonSchema;

/// <content>
/// Evaluation of numbers and strings, and matching a <c>pattern</c> against a string or a member name.
/// </content>
internal sealed partial class SchemaNode
{
    private bool EvaluateNumber(JsonElement instance, EvaluationContext context)
    {
        var value = JsonValues.GetDouble(instance);
        var valid = true;
        if (Minimum is { } minimum && value < minimum)
        {
            if (!Fail(context, ref valid, "minimum", instance, $"is less than the minimum {FormatNumber(minimum)}"))
            {
                return false;
            }
        }

        if (ExclusiveMinimum is { } exclusiveMinimum && value <= exclusiveMinimum)
        {
            if (!Fail(context, ref valid, "exclusiveMinimum", instance, $"must be greater than {FormatNumber(exclusiveMinimum)}"))
            {
                return false;
            }
        }

        if (Maximum is { } maximum && value > maximum)
        {
            if (!Fail(context, ref valid, "maximum", instance, $"is greater than the maximum {FormatNumber(maximum)}"))
            {
                return false;
            }
        }

        if (ExclusiveMaximum is { } exclusiveMaximum && value >= exclusiveMaximum)
        {
            if (!Fail(context, ref valid, "exclusiveMaximum", instance, $"must be less than {FormatNumber(exclusiveMaximum)}"))
            {
                return false;
            }
        }

        if (MultipleOf is { } divisor && !JsonValues.IsMultipleOf(instance, MultipleOfDecimal, divisor))
        {
            Fail(context, ref valid, "multipleOf", instance, $"is not a multiple of {FormatNumber(divisor)}");
        }

        return valid;
    }

    private bool EvaluateString(JsonElement instance, EvaluationContext context)
    {
        var valid = true;
        if (MinLength is not null || MaxLength is not null)
        {
            var length = JsonValues.CodePointCount(instance);
            if (length < MinLength)
            {
                if (!context.Collecting)
                {
                    return false;
                }

                valid = false;
                context.AddError("minLength", $"the string has {length} characters, fewer than the minimum {MinLength}");
            }

            if (length > MaxLength)
            {
                if (!context.Collecting)
                {
                    return false;
                }

                valid = false;
                context.AddError("maxLength", $"the string has {length} characters, more than the maximum {MaxLength}");
            }
        }

        if (Pattern is { } pattern && !Matches(pattern, instance))
        {
            if (!context.Collecting)
            {
                return false;
            }

            valid = false;
            context.AddError("pattern", $"the string does not match the pattern {pattern}");
        }

        if (AssertFormat && Format is { } format && !SchemaFormats.IsValid(format, instance))
        {
            if (!context.Collecting)
            {
                return false;
            }

            valid = false;
            context.AddError("format", $"{JsonValues.Preview(instance)} is not a valid {format}");
        }

        return valid;
    }

    private static bool Matches(Regex pattern, JsonElement value)
    {
        var content = JsonValues.RawString(value, out var escaped);
        return IsMatch(pattern, content, escaped ? value.GetString() : null);
    }

    private static bool MatchesName(Regex pattern, JsonProperty property)
    {
        var raw = JsonValues.RawName(property, out var escaped);
        return IsMatch(pattern, raw, escaped ? property.Name : null);
    }

    /// <summary>Matches UTF-8 text decoded on the stack, or <paramref name="decoded"/> when the JSON escaped it; a timeout is no match.</summary>
    private static bool IsMatch(Regex pattern, ReadOnlySpan<byte> utf8, string? decoded)
    {
        try
        {
            if (decoded is not null)
            {
                return pattern.IsMatch(decoded);
            }

            var text = JsonValues.Decode(utf8, stackalloc char[JsonValues.StackLimit], out var rented);
            var matched = pattern.IsMatch(text);
            JsonValues.Release(rented);
            return matched;
        }
        catch (RegexMatchTimeoutException)
        {
            return false;
        }
    }
}
