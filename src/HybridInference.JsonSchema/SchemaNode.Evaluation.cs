using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;

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
