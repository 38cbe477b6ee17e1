using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text.Json;

namespace HybridInference.JsonSchema;

/// <summary>
/// The built-in <see cref="IJsonSchemaValidator"/>: JSON Schema draft 2020-12, complete (every applicator and
/// validation keyword, <c>$ref</c>, <c>$anchor</c>, <c>$dynamicRef</c>, <c>unevaluated*</c>, vocabularies), on
/// System.Text.Json. Each schema is compiled once and cached by its text; a valid document is validated without
/// allocating.
/// </summary>
/// <remarks>
/// Thread-safe: share one instance. <c>format</c> is an annotation unless <c>assertFormats</c> is set. No URI is ever
/// fetched: a <c>$ref</c> resolves within the schema or to the draft 2020-12 meta-schemas, which are embedded.
/// </remarks>
public sealed class JsonSchemaValidator : IJsonSchemaValidator
{
    private readonly ConcurrentDictionary<byte[], CompiledJsonSchema> _cache = new(Utf8KeyComparer.Instance);
    private readonly ConcurrentDictionary<byte[], CompiledJsonSchema>.AlternateLookup<ReadOnlySpan<byte>> _lookup;
    private readonly bool _assertFormats;

    /// <summary>Initializes a new instance of the <see cref="JsonSchemaValidator"/> class.</summary>
    /// <param name="assertFormats">Whether <c>format</c> rejects strings that are not of the named format (for the formats <see cref="SchemaFormats"/> knows).</param>
    public JsonSchemaValidator(bool assertFormats = false)
    {
        _assertFormats = assertFormats;
        _lookup = _cache.GetAlternateLookup<ReadOnlySpan<byte>>();
    }

    /// <summary>Gets the documents, besides the schema itself, that a <c>$ref</c> may name.</summary>
    internal SchemaDocuments Documents { get; } = new();

    /// <inheritdoc />
    public JsonSchemaValidationResult Validate(JsonElement schema, JsonElement instance) => Compile(schema).Validate(instance);

    /// <inheritdoc />
    public JsonSchemaValidationResult Validate(JsonElement schema, JsonElement instance, CancellationToken cancellationToken) =>
        Compile(schema, cancellationToken).Validate(instance, cancellationToken);

    /// <inheritdoc />
    public void PrepareSchema(JsonElement schema) => Compile(schema);

    /// <summary>Gets the compiled form of <paramref name="schema"/>, compiling it on first use.</summary>
    /// <param name="schema">The schema.</param>
    /// <param name="cancellationToken">Stops a long compilation.</param>
    /// <exception cref="InvalidJsonSchemaException">The schema cannot be used (malformed, or nested more than <see cref="SchemaCompiler.MaxDepth"/> levels deep).</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    internal CompiledJsonSchema Compile(JsonElement schema, CancellationToken cancellationToken = default)
    {
        if (schema.ValueKind == JsonValueKind.Undefined)
        {
            throw new InvalidJsonSchemaException("The JSON Schema is empty: the response format carries no schema value.");
        }

        var text = JsonMarshal.GetRawUtf8Value(schema);
        if (_lookup.TryGetValue(text, out var compiled))
        {
            return compiled;
        }

        compiled = SchemaCompiler.Compile(schema, Documents, _assertFormats, cancellationToken);
        if (_cache.Count >= JsonSchemaDefaults.MaxCachedSchemas)
        {
            _cache.Clear();
        }

        return _lookup.TryAdd(text, compiled) || !_lookup.TryGetValue(text, out var winner) ? compiled : winner;
    }
}
