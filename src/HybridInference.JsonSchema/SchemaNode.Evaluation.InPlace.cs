using System.Text.Json;

namespace HybridInference.JsonSchema;

/// <content>
/// Evaluation of the subschemas applied at the same instance location: <c>$ref</c>, <c>$dynamicRef</c>, allOf, anyOf,
/// oneOf, not and if/then/else.
/// </content>
internal sealed partial class SchemaNode
{
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
}
