using System.Buffers;
using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace HybridInference.JsonSchema;

/// <summary>Evaluation: the first pass only answers valid or not and stops at the first failure; the second, run on an invalid document, collects every error.</summary>
internal sealed partial class SchemaNode
{
    /// <summary>Evaluates <paramref name="instance"/> against this schema.</summary>
    /// <param name="instance">The value at the current instance location.</param>
    /// <param name="context">The validation's state.</param>
    /// <param name="evaluated">
    /// Where to record the members or items this schema evaluates, when a schema above it at the same location uses
    /// <c>unevaluatedProperties</c>/<c>unevaluatedItems</c>; otherwise <see langword="null"/>.
    /// </param>
    /// <returns><see langword="true"/> when the value is valid.</returns>
    public bool Evaluate(JsonElement instance, EvaluationContext context, EvaluatedSet? evaluated)
    {
        if (Boolean is { } value)
        {
            if (!value && context.Collecting)
            {
                context.AddError("false", "no value is allowed here");
            }

            return value;
        }

        // The stack is checked every 16 levels as well: a caller on a small stack stops before it runs out.
        if (++context.Depth > EvaluationContext.MaxDepth || ((context.Depth & 15) == 0 && !RuntimeHelpers.TryEnsureSufficientExecutionStack()))
        {
            throw new EvaluationTooDeepException(Location);
        }

        if ((++context.Steps & EvaluationContext.CancellationCheckMask) == 0)
        {
            context.CancellationToken.ThrowIfCancellationRequested();
        }

        var pushed = context.TrackScope && context.EnterResource(Resource);
        var kind = instance.ValueKind;
        bool valid;
        if ((UnevaluatedProperties is not null && kind == JsonValueKind.Object) || (UnevaluatedItems is not null && kind == JsonValueKind.Array))
        {
            // unevaluated* sees the annotations of this schema and its in-place subschemas only, never a sibling's.
            var own = context.RentSet(kind == JsonValueKind.Object ? instance.GetPropertyCount() : instance.GetArrayLength());
            valid = EvaluateKeywords(instance, kind, context, own);
            if (valid)
            {
                evaluated?.UnionWith(own);
            }

            context.ReturnSet(own);
        }
        else
        {
            valid = EvaluateKeywords(instance, kind, context, evaluated);
        }

        if (pushed)
        {
            context.LeaveResource();
        }

        context.Depth--;
        return valid;
    }

    private bool EvaluateKeywords(JsonElement instance, JsonValueKind kind, EvaluationContext context, EvaluatedSet? evaluated)
    {
        var valid = true;
        if (Types != JsonTypes.None && !MatchesType(instance, kind))
        {
            if (!context.Collecting)
            {
                return false;
            }

            valid = false;
            context.AddError("type", $"expected {JsonTypeNames.Describe(Types)} but found {JsonTypeNames.Describe(instance)}");
        }

        if (HasConst && !JsonElement.DeepEquals(Const, instance))
        {
            if (!context.Collecting)
            {
                return false;
            }

            valid = false;
            context.AddError("const", $"the value must be {JsonValues.Preview(Const)}");
        }

        if (Enum is { } allowed && !IsOneOf(allowed, instance))
        {
            if (!context.Collecting)
            {
                return false;
            }

            valid = false;
            context.AddError("enum", $"{JsonValues.Preview(instance)} is not one of the allowed values {DescribeEnum(allowed)}");
        }

        switch (kind)
        {
            case JsonValueKind.Number when HasNumberKeywords:
                valid &= EvaluateNumber(instance, context);
                break;
            case JsonValueKind.String when HasStringKeywords:
                valid &= EvaluateString(instance, context);
                break;
            case JsonValueKind.Object when HasObjectKeywords:
                valid &= EvaluateObject(instance, context, evaluated);
                break;
            case JsonValueKind.Array when HasArrayKeywords:
                valid &= EvaluateArray(instance, context, evaluated);
                break;
        }

        if (!valid && !context.Collecting)
        {
            return false;
        }

        if (HasInPlaceApplicators)
        {
            valid &= EvaluateInPlace(instance, context, evaluated);
            if (!valid && !context.Collecting)
            {
                return false;
            }
        }

        if (UnevaluatedProperties is not null && kind == JsonValueKind.Object)
        {
            valid &= EvaluateUnevaluatedProperties(instance, context, evaluated!);
        }
        else if (UnevaluatedItems is not null && kind == JsonValueKind.Array)
        {
            valid &= EvaluateUnevaluatedItems(instance, context, evaluated!);
        }

        return valid;
    }

    private bool MatchesType(JsonElement instance, JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => (Types & JsonTypes.Object) != 0,
        JsonValueKind.Array => (Types & JsonTypes.Array) != 0,
        JsonValueKind.String => (Types & JsonTypes.String) != 0,
        JsonValueKind.True or JsonValueKind.False => (Types & JsonTypes.Boolean) != 0,
        JsonValueKind.Null => (Types & JsonTypes.Null) != 0,
        JsonValueKind.Number => (Types & JsonTypes.Number) != 0 || ((Types & JsonTypes.Integer) != 0 && JsonValues.IsInteger(instance)),
        _ => false,
    };

    private bool IsOneOf(JsonElement[] allowed, JsonElement instance)
    {
        if (instance.ValueKind == JsonValueKind.String)
        {
            // Strings without escapes on both sides are equal exactly when their bytes are.
            var raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(instance);
            if (!raw.Contains((byte)'\\'))
            {
                foreach (var candidate in EnumStrings!)
                {
                    if (raw.SequenceEqual(candidate))
                    {
                        return true;
                    }
                }

                if (!EnumHasEscapedStrings)
                {
                    return false;
                }
            }
        }

        foreach (var candidate in allowed)
        {
            if (candidate.ValueKind == instance.ValueKind || (candidate.ValueKind == JsonValueKind.Number && instance.ValueKind == JsonValueKind.Number))
            {
                if (JsonElement.DeepEquals(candidate, instance))
                {
                    return true;
                }
            }
        }

        return false;
    }

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

    private bool EvaluateObject(JsonElement instance, EvaluationContext context, EvaluatedSet? evaluated)
    {
        var valid = true;
        if (MinProperties is not null || MaxProperties is not null)
        {
            var count = instance.GetPropertyCount();
            if (count < MinProperties && !Fail(context, ref valid, "minProperties", $"the object has {count} properties, fewer than the minimum {MinProperties}"))
            {
                return false;
            }

            if (count > MaxProperties && !Fail(context, ref valid, "maxProperties", $"the object has {count} properties, more than the maximum {MaxProperties}"))
            {
                return false;
            }
        }

        if (DependentRequired is { } dependentRequired)
        {
            foreach (var (property, utf8, names, needs) in dependentRequired)
            {
                if (!instance.TryGetProperty(utf8, out _))
                {
                    continue;
                }

                for (var i = 0; i < needs.Length; i++)
                {
                    if (!instance.TryGetProperty(needs[i], out _)
                        && !Fail(context, ref valid, "dependentRequired", $"property '{names[i]}' is required when '{property}' is present"))
                    {
                        return false;
                    }
                }
            }
        }

        var seen = 0UL;
        if (Properties is not null || PatternProperties is not null || AdditionalProperties is not null || PropertyNames is not null)
        {
            var index = 0;
            foreach (var property in instance.EnumerateObject())
            {
                if (!EvaluateMember(property, index, context, evaluated, ref seen) && !Fail(context, ref valid))
                {
                    return false;
                }

                index++;
            }
        }

        if (Required is { } required && (RequiredMask == 0 || (seen & RequiredMask) != RequiredMask))
        {
            for (var i = 0; i < required.Length; i++)
            {
                if (!instance.TryGetProperty(required[i], out _) && !Fail(context, ref valid, "required", $"missing required property '{RequiredNames![i]}'"))
                {
                    return false;
                }
            }
        }

        if (DependentSchemas is { } dependentSchemas)
        {
            foreach (var (_, utf8, schema) in dependentSchemas)
            {
                if (instance.TryGetProperty(utf8, out _) && !schema.Evaluate(instance, context, evaluated) && !Fail(context, ref valid))
                {
                    return false;
                }
            }
        }

        return valid;
    }

    private bool EvaluateMember(JsonProperty property, int index, EvaluationContext context, EvaluatedSet? evaluated, ref ulong seen)
    {
        var valid = true;
        var matched = false;
        if (Properties is { } properties)
        {
            var position = properties.IndexOf(Utf8Names.Unescaped(property));
            if (position >= 0)
            {
                matched = true;
                seen |= position < 64 ? 1UL << position : 0;
                evaluated?.Mark(index);
                if (!EvaluateChild(properties.Schemas[position], property, context) && !Fail(context, ref valid))
                {
                    return false;
                }
            }
        }

        if (PatternProperties is { } patternProperties)
        {
            foreach (var (pattern, schema) in patternProperties)
            {
                if (!MatchesName(pattern, property))
                {
                    continue;
                }

                matched = true;
                evaluated?.Mark(index);
                if (!EvaluateChild(schema, property, context) && !Fail(context, ref valid))
                {
                    return false;
                }
            }
        }

        if (!matched && AdditionalProperties is { } additional)
        {
            evaluated?.Mark(index);
            if (additional.Boolean == false)
            {
                if (!Fail(context, ref valid, "additionalProperties", $"property '{property.Name}' is not allowed"))
                {
                    return false;
                }
            }
            else if (!EvaluateChild(additional, property, context) && !Fail(context, ref valid))
            {
                return false;
            }
        }

        if (PropertyNames is { } propertyNames && !EvaluateName(propertyNames, property, context))
        {
            Fail(context, ref valid, "propertyNames", $"the property name '{property.Name}' is not allowed");
        }

        return valid;
    }

    private bool EvaluateArray(JsonElement instance, EvaluationContext context, EvaluatedSet? evaluated)
    {
        var valid = true;
        var length = instance.GetArrayLength();
        if (length < MinItems && !Fail(context, ref valid, "minItems", $"the array has {length} items, fewer than the minimum {MinItems}"))
        {
            return false;
        }

        if (length > MaxItems && !Fail(context, ref valid, "maxItems", $"the array has {length} items, more than the maximum {MaxItems}"))
        {
            return false;
        }

        if (PrefixItems is not null || Items is not null || Contains is not null)
        {
            var index = 0;
            var matches = 0;
            var prefix = PrefixItems ?? [];
            foreach (var item in instance.EnumerateArray())
            {
                var schema = index < prefix.Length ? prefix[index] : Items;
                if (schema is not null)
                {
                    evaluated?.Mark(index);
                    if (schema.Boolean == false && index >= prefix.Length)
                    {
                        if (!Fail(context, ref valid, "items", $"the array may have at most {prefix.Length} items"))
                        {
                            return false;
                        }
                    }
                    else if (!EvaluateItem(schema, item, index, context) && !Fail(context, ref valid))
                    {
                        return false;
                    }
                }

                if (Contains is { } contains)
                {
                    var collecting = context.SuspendCollecting();
                    var found = contains.Evaluate(item, context, null);
                    context.ResumeCollecting(collecting);
                    if (found)
                    {
                        matches++;
                        evaluated?.Mark(index);
                    }
                }

                index++;
            }

            if (Contains is not null)
            {
                var minimum = MinContains ?? 1;
                if (matches < minimum && !Fail(context, ref valid, "contains", minimum == 1
                    ? "no item matches the schema in 'contains'"
                    : $"{matches} items match the schema in 'contains', fewer than the minimum {minimum}"))
                {
                    return false;
                }

                if (matches > MaxContains && !Fail(context, ref valid, "maxContains", $"{matches} items match the schema in 'contains', more than the maximum {MaxContains}"))
                {
                    return false;
                }
            }
        }

        if (UniqueItems && length > 1 && FindDuplicate(instance, context.CancellationToken) is { } duplicate)
        {
            Fail(context, ref valid, "uniqueItems", $"items {duplicate.First} and {duplicate.Second} are equal; the items must be unique");
        }

        return valid;
    }

    private bool EvaluateInPlace(JsonElement instance, EvaluationContext context, EvaluatedSet? evaluated)
    {
        var valid = true;
        if (Ref is { } reference && !reference.Evaluate(instance, context, evaluated) && !Fail(context, ref valid))
        {
            return false;
        }

        if (DynamicRef is { } dynamicReference)
        {
            var target = DynamicRefAnchor is { } anchor ? context.FindDynamicAnchor(anchor) ?? dynamicReference : dynamicReference;
            if (!target.Evaluate(instance, context, evaluated) && !Fail(context, ref valid))
            {
                return false;
            }
        }

        if (AllOf is { } allOf)
        {
            foreach (var schema in allOf)
            {
                if (!schema.Evaluate(instance, context, evaluated) && !Fail(context, ref valid))
                {
                    return false;
                }
            }
        }

        if (AnyOf is { } anyOf && !EvaluateAnyOf(anyOf, instance, context, evaluated)
            && !Fail(context, ref valid, "anyOf", $"the value matches none of the {anyOf.Length} alternatives in 'anyOf'"))
        {
            return false;
        }

        if (OneOf is { } oneOf)
        {
            var matches = CountOneOf(oneOf, instance, context, evaluated);
            if (matches != 1 && !Fail(context, ref valid, "oneOf", matches == 0
                ? $"the value matches none of the {oneOf.Length} alternatives in 'oneOf'"
                : $"the value matches {matches} of the alternatives in 'oneOf'; it must match exactly one"))
            {
                return false;
            }
        }

        if (Not is { } not)
        {
            var collecting = context.SuspendCollecting();
            var matched = not.Evaluate(instance, context, null);
            context.ResumeCollecting(collecting);
            if (matched && !Fail(context, ref valid, "not", "the value must not match the schema in 'not'"))
            {
                return false;
            }
        }

        if (If is { } condition)
        {
            var collecting = context.SuspendCollecting();
            var conditionEvaluated = evaluated is null ? null : context.RentSet(evaluated.Count);
            var holds = condition.Evaluate(instance, context, conditionEvaluated);
            context.ResumeCollecting(collecting);
            if (conditionEvaluated is not null)
            {
                if (holds)
                {
                    evaluated!.UnionWith(conditionEvaluated);
                }

                context.ReturnSet(conditionEvaluated);
            }

            var branch = holds ? Then : Else;
            if (branch is not null && !branch.Evaluate(instance, context, evaluated) && !Fail(context, ref valid))
            {
                return false;
            }
        }

        return valid;
    }

    private static bool EvaluateAnyOf(SchemaNode[] anyOf, JsonElement instance, EvaluationContext context, EvaluatedSet? evaluated)
    {
        var collecting = context.SuspendCollecting();
        var any = false;
        foreach (var schema in anyOf)
        {
            if (evaluated is null)
            {
                if (schema.Evaluate(instance, context, null))
                {
                    any = true;
                    break;
                }

                continue;
            }

            // With annotations wanted, every branch that matches contributes them, so none is skipped.
            var branch = context.RentSet(evaluated.Count);
            if (schema.Evaluate(instance, context, branch))
            {
                any = true;
                evaluated.UnionWith(branch);
            }

            context.ReturnSet(branch);
        }

        context.ResumeCollecting(collecting);
        return any;
    }

    private static int CountOneOf(SchemaNode[] oneOf, JsonElement instance, EvaluationContext context, EvaluatedSet? evaluated)
    {
        var collecting = context.SuspendCollecting();
        var matches = 0;
        var branch = evaluated is null ? null : context.RentSet(evaluated.Count);
        foreach (var schema in oneOf)
        {
            if (schema.Evaluate(instance, context, branch))
            {
                matches++;
                if (matches > 1 && !collecting)
                {
                    break;
                }
            }
        }

        if (branch is not null)
        {
            if (matches == 1)
            {
                evaluated!.UnionWith(branch);
            }

            context.ReturnSet(branch);
        }

        context.ResumeCollecting(collecting);
        return matches;
    }

    private bool EvaluateUnevaluatedProperties(JsonElement instance, EvaluationContext context, EvaluatedSet evaluated)
    {
        var valid = true;
        var index = 0;
        var schema = UnevaluatedProperties!;
        foreach (var property in instance.EnumerateObject())
        {
            if (!evaluated.IsMarked(index))
            {
                evaluated.Mark(index);
                if (schema.Boolean == false)
                {
                    if (!Fail(context, ref valid, "unevaluatedProperties", $"property '{property.Name}' is not allowed"))
                    {
                        return false;
                    }
                }
                else if (!EvaluateChild(schema, property, context) && !Fail(context, ref valid))
                {
                    return false;
                }
            }

            index++;
        }

        return valid;
    }

    private bool EvaluateUnevaluatedItems(JsonElement instance, EvaluationContext context, EvaluatedSet evaluated)
    {
        var valid = true;
        var index = 0;
        var schema = UnevaluatedItems!;
        foreach (var item in instance.EnumerateArray())
        {
            if (!evaluated.IsMarked(index))
            {
                evaluated.Mark(index);
                if (schema.Boolean == false)
                {
                    if (!Fail(context, ref valid, "unevaluatedItems", $"item {index} is not allowed"))
                    {
                        return false;
                    }
                }
                else if (!EvaluateItem(schema, item, index, context) && !Fail(context, ref valid))
                {
                    return false;
                }
            }

            index++;
        }

        return valid;
    }

    private static bool EvaluateChild(SchemaNode schema, JsonProperty property, EvaluationContext context)
    {
        if (!context.Collecting)
        {
            return schema.Evaluate(property.Value, context, null);
        }

        context.PushProperty(property);
        var valid = schema.Evaluate(property.Value, context, null);
        context.Pop();
        return valid;
    }

    private static bool EvaluateItem(SchemaNode schema, JsonElement item, int index, EvaluationContext context)
    {
        if (!context.Collecting)
        {
            return schema.Evaluate(item, context, null);
        }

        context.PushIndex(index);
        var valid = schema.Evaluate(item, context, null);
        context.Pop();
        return valid;
    }

    private static bool EvaluateName(SchemaNode schema, JsonProperty property, EvaluationContext context)
    {
        // The name becomes a JSON string instance of its own; this allocates, and only schemas with propertyNames pay.
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStringValue(property.Name);
        }

        using var name = JsonDocument.Parse(buffer.WrittenMemory);
        var collecting = context.SuspendCollecting();
        var valid = schema.Evaluate(name.RootElement, context, null);
        context.ResumeCollecting(collecting);
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

    private static (int First, int Second)? FindDuplicate(JsonElement array, CancellationToken cancellationToken)
    {
        var i = 0;
        foreach (var first in array.EnumerateArray())
        {
            // Quadratic in the array's length: a long array must still stop at the request's deadline.
            cancellationToken.ThrowIfCancellationRequested();
            var j = 0;
            foreach (var second in array.EnumerateArray())
            {
                if (j > i && JsonElement.DeepEquals(first, second))
                {
                    return (i, j);
                }

                j++;
            }

            i++;
        }

        return null;
    }

    /// <summary>Records a failure whose errors a subschema has already collected; returns whether evaluation goes on.</summary>
    private static bool Fail(EvaluationContext context, ref bool valid)
    {
        valid = false;
        return context.Collecting;
    }

    /// <summary>Records a failure with its error; returns whether evaluation goes on (only while collecting).</summary>
    private static bool Fail(EvaluationContext context, ref bool valid, string keyword, string message)
    {
        valid = false;
        if (!context.Collecting)
        {
            return false;
        }

        context.AddError(keyword, message);
        return true;
    }

    private static bool Fail(EvaluationContext context, ref bool valid, string keyword, JsonElement instance, string message)
    {
        valid = false;
        if (!context.Collecting)
        {
            return false;
        }

        context.AddError(keyword, $"{JsonValues.Preview(instance)} {message}");
        return true;
    }

    private static string FormatNumber(double value) => value.ToString("R", CultureInfo.InvariantCulture);

    private static string DescribeEnum(JsonElement[] allowed)
    {
        var text = new System.Text.StringBuilder("[");
        for (var i = 0; i < allowed.Length && text.Length < 200; i++)
        {
            text.Append(i == 0 ? string.Empty : ", ").Append(allowed[i].GetRawText());
        }

        return text.Append(text.Length >= 200 ? ", ...]" : "]").ToString();
    }
}
