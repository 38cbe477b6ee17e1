namespace HybridInference.OpenAI.Dialects;

/// <summary>How a server takes a JSON Schema to constrain its output (guided decoding).</summary>
internal enum SchemaConstraintFormat
{
    /// <summary>OpenAI's <c>response_format: {type: "json_schema", json_schema: {name, schema, strict}}</c>.</summary>
    OpenAIJsonSchema = 0,

    /// <summary>TGI's adjacently tagged <c>response_format: {type: "json", value: schema}</c>; <c>text</c> is not a variant.</summary>
    TgiTypeValue = 1,

    /// <summary>The server cannot constrain output to a schema (it ignores <c>response_format</c>); JSON requests are not sent to it.</summary>
    None = 2,
}
