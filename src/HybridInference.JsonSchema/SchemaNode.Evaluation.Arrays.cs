using System.Text.Json;

namespace HybridInference.JsonSchema;

/// <content>
/// Evaluation of arrays: prefixItems, items, contains, item counts, uniqueItems and unevaluatedItems.
/// </content>
internal sealed partial class SchemaNode
{
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
}
