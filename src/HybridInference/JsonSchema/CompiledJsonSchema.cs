using System.Text.Json;

namespace HybridInference.JsonSchema;

/// <summary>A compiled schema, ready to validate any number of documents on any number of threads.</summary>
internal sealed class CompiledJsonSchema(SchemaNode root, bool usesDynamicScope)
{
    /// <summary>Validates <paramref name="instance"/>: a fast pass that allocates nothing, then, only for an invalid document, a pass that collects every error.</summary>
    public JsonSchemaValidationResult Validate(JsonElement instance)
    {
        var context = EvaluationContext.Rent(usesDynamicScope);
        try
        {
            if (root.Evaluate(instance, context, null))
            {
                return JsonSchemaValidationResult.Valid;
            }

            context.Start(collecting: true);
            root.Evaluate(instance, context, null);
            var errors = context.Errors!;
            if (errors.Count == 0)
            {
                errors.Add(new JsonSchemaValidationError(string.Empty, "schema", "the value does not match the schema"));
            }

            return new JsonSchemaValidationResult(errors);
        }
        finally
        {
            EvaluationContext.Return(context);
        }
    }
}
