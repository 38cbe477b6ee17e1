using System.Text.Json;

namespace HybridInference.JsonSchema;

/// <summary>A compiled schema, ready to validate any number of documents on any number of threads.</summary>
internal sealed class CompiledJsonSchema(SchemaNode root, bool usesDynamicScope)
{
    /// <summary>Validates <paramref name="instance"/>: a fast pass that allocates nothing, then, only for an invalid document, a pass that collects every error.</summary>
    /// <param name="instance">The document.</param>
    /// <param name="cancellationToken">Stops a long validation; it is checked every thousand or so schemas applied.</param>
    /// <returns>The result; a document nested too deeply to evaluate is one error, at its root, that says so.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public JsonSchemaValidationResult Validate(JsonElement instance, CancellationToken cancellationToken = default)
    {
        var context = EvaluationContext.Rent(usesDynamicScope, cancellationToken);
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
        catch (EvaluationTooDeepException ex)
        {
            return new JsonSchemaValidationResult([new JsonSchemaValidationError(
                string.Empty,
                "depth",
                $"the document nests too deeply to validate: more than {EvaluationContext.MaxDepth} schemas applied one inside another (the last at '{ex.SchemaLocation}')")]);
        }
        finally
        {
            EvaluationContext.Return(context);
        }
    }
}
