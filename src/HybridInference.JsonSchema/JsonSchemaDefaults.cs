namespace HybridInference.JsonSchema;

/// <summary>Every limit of the validator, in one place; the compiler, the evaluation and the docs refer here.</summary>
internal static class JsonSchemaDefaults
{
    /// <summary>How long one JSON Schema <c>pattern</c> may run on one string before the match counts as failed.</summary>
    public const int PatternTimeoutMilliseconds = 250;

    /// <summary>How many compiled JSON Schemas a validator keeps; past it the cache starts over.</summary>
    public const int MaxCachedSchemas = 256;

    /// <summary>How many levels of subschemas (nesting and references followed) a schema may have.</summary>
    public const int MaxSchemaDepth = 256;

    /// <summary>How deep evaluation may nest, into the document and through the schemas applied at each place.</summary>
    public const int MaxEvaluationDepth = 1000;
}
