namespace HybridInference;

/// <summary>Why a model's JSON answer was rejected; each reason gets its own retry prompt and metric tag.</summary>
public enum ValidationFailureReason
{
    /// <summary>The answer is not JSON, and no JSON document could be extracted from it.</summary>
    InvalidJson,

    /// <summary>The answer is JSON but does not match the request's schema.</summary>
    SchemaMismatch,

    /// <summary>The answer was cut off by the output token limit (finish reason <c>length</c>) before it was complete.</summary>
    Truncated,

    /// <summary>The model answered with the JSON Schema itself (or a copy of its shape) instead of data, a known failure of small models.</summary>
    SchemaEcho,
}
