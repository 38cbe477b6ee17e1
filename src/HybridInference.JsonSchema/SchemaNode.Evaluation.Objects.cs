using System.Buffers;
using System.Text.Json;

namespace HybridInference.JsonSchema;

/// <content>
/// Evaluation of objects: properties, patternProperties, additionalProperties, propertyNames, required,
/// dependentRequired, dependentSchemas, member counts and unevaluatedProperties.
/// </content>
internal sealed partial class SchemaNode
{
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
}
