using System.Runtime.CompilerServices;
using System.Text.Json;

namespace HybridInference.JsonSchema;

/// <summary>
/// Compiles a draft 2020-12 schema: indexes its resources (<c>$id</c>), anchors and dynamic anchors, resolves every
/// <c>$ref</c> and <c>$dynamicRef</c> (in the schema, in registered documents, or in the embedded meta-schemas),
/// reads each keyword once into a <see cref="SchemaNode"/>, and rejects what could not be evaluated: malformed
/// keywords, unknown references, and reference cycles that never move into the document.
/// </summary>
/// <remarks>
/// One instance per compilation; not thread-safe. Nesting is bounded by <see cref="MaxDepth"/> with explicit counters
/// (subschemas inside subschemas, references followed while compiling, and chains of schemas applied at one place in
/// the document), so a schema nested thousands of levels deep is an <see cref="InvalidJsonSchemaException"/>, never a
/// stack overflow.
/// </remarks>
internal sealed partial class SchemaCompiler
{
    /// <summary>How many levels of subschemas (nesting and references followed) a schema may have.</summary>
    public const int MaxDepth = JsonSchemaDefaults.MaxSchemaDepth;

    private static readonly string[] SchemaMapKeywords = ["$defs", "definitions", "properties", "patternProperties", "dependentSchemas"];
    private static readonly string[] SchemaArrayKeywords = ["allOf", "anyOf", "oneOf", "prefixItems", "items"];
    private static readonly string[] SchemaKeywords =
    [
        "items", "additionalItems", "contains", "additionalProperties", "propertyNames", "not", "if", "then", "else",
        "unevaluatedItems", "unevaluatedProperties", "contentSchema",
    ];

    private readonly SchemaDocuments _documents;
    private readonly bool _assertFormats;
    private readonly List<(JsonElement Root, string Uri)> _roots = [];
    private readonly Dictionary<string, SchemaLocation> _resources = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SchemaLocation> _anchors = new(StringComparer.Ordinal);
    private readonly Dictionary<SchemaLocation, IndexedSchema> _indexed = [];
    private readonly Dictionary<SchemaLocation, SchemaNode> _nodes = [];
    private readonly HashSet<SchemaResource> _usedResources = [];
    private bool _usesDynamicScope;
    private int _compileDepth;
    private CancellationToken _cancellationToken;

    private SchemaCompiler(SchemaDocuments documents, bool assertFormats)
    {
        _documents = documents;
        _assertFormats = assertFormats;
    }

    /// <summary>Compiles <paramref name="schema"/>.</summary>
    /// <param name="schema">The schema; it is copied, so the caller may dispose its document.</param>
    /// <param name="documents">Documents a <c>$ref</c> may name besides the schema.</param>
    /// <param name="assertFormats">Whether <c>format</c> asserts (for the formats <see cref="SchemaFormats"/> knows) rather than annotates.</param>
    /// <exception cref="InvalidJsonSchemaException">The schema cannot be used; the message names the problem and where it is.</exception>
    /// <param name="cancellationToken">Stops a long compilation (checked at every subschema).</param>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static CompiledJsonSchema Compile(JsonElement schema, SchemaDocuments documents, bool assertFormats, CancellationToken cancellationToken = default)
    {
        if (schema.ValueKind is not (JsonValueKind.Object or JsonValueKind.True or JsonValueKind.False))
        {
            throw new InvalidJsonSchemaException($"A JSON Schema must be an object or a boolean, not {DescribeKind(schema.ValueKind)}.");
        }

        var compiler = new SchemaCompiler(documents, assertFormats) { _cancellationToken = cancellationToken };
        var root = compiler.CompileNode(compiler.AddDocument(schema.Clone(), SchemaUri.DefaultBase));
        compiler.CompileDynamicAnchors();
        compiler.CheckForCycles();
        return new CompiledJsonSchema(root, compiler._usesDynamicScope);
    }

    private SchemaNode CompileNode(SchemaLocation location)
    {
        if (_nodes.TryGetValue(location, out var existing))
        {
            return existing;
        }

        // Compiling a subschema compiles the subschemas and references below it first: count how deep that goes
        // (and, on a thread with a small stack, stop before the stack runs out even within the limit).
        if (_compileDepth >= MaxDepth || !RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            throw TooDeep(location);
        }

        _cancellationToken.ThrowIfCancellationRequested();
        var indexed = GetIndexed(location) ?? throw new InvalidJsonSchemaException($"There is no schema at '{Describe(location)}'.");
        var node = new SchemaNode(indexed.Resource, Describe(location));
        _nodes[location] = node;
        _usedResources.Add(indexed.Resource);
        switch (indexed.Element.ValueKind)
        {
            case JsonValueKind.True:
                node.Boolean = true;
                return node;
            case JsonValueKind.False:
                node.Boolean = false;
                return node;
            case JsonValueKind.Object:
                _compileDepth++;
                try
                {
                    ReadKeywords(node, location, indexed);
                }
                finally
                {
                    _compileDepth--;
                }

                return node;
            default:
                throw new InvalidJsonSchemaException($"The schema at '{node.Location}' must be an object or a boolean, not {DescribeKind(indexed.Element.ValueKind)}.");
        }
    }

    private InvalidJsonSchemaException TooDeep(SchemaLocation location) => new(
        $"The schema nests more than {MaxDepth} levels of subschemas (counting references followed) at '{Truncate(Describe(location))}'; a schema this deep is refused rather than risk the stack.");

    /// <summary>Keeps a location readable in a message: a pointer 256 levels deep is long.</summary>
    private static string Truncate(string location) => location.Length <= 200 ? location : $"{location[..100]}...{location[^100..]}";

    private void CompileDynamicAnchors()
    {
        HashSet<SchemaResource> done = [];
        while (true)
        {
            var pending = _usedResources.Where(r => !done.Contains(r)).ToList();
            if (pending.Count == 0)
            {
                return;
            }

            foreach (var resource in pending)
            {
                done.Add(resource);
                foreach (var (name, location) in resource.DynamicAnchorLocations)
                {
                    resource.DynamicAnchors[name] = CompileNode(location);
                }
            }
        }
    }

    private void CheckForCycles()
    {
        // Schemas applied at the same instance location ($ref, allOf, if, ...) must not reach themselves: evaluation
        // would recurse without ever moving into the document. Nor may their chains be longer than MaxDepth:
        // evaluation recurses along them. The height of each node (the longest chain below it) is kept, so the walk
        // itself never goes deeper than MaxDepth.
        Dictionary<SchemaNode, int> height = new(ReferenceEqualityComparer.Instance);
        List<SchemaNode> path = [];
        foreach (var node in _nodes.Values)
        {
            Visit(node);
        }

        int Visit(SchemaNode node)
        {
            if (height.TryGetValue(node, out var known))
            {
                if (known < 0)
                {
                    var start = path.IndexOf(node);
                    var loop = string.Join(" -> ", path.Skip(start).Append(node).Select(n => n.Location));
                    throw new InvalidJsonSchemaException($"The schema's references loop without moving into the document ({loop}); evaluating it would never end.");
                }

                return known;
            }

            if (path.Count >= MaxDepth || !RuntimeHelpers.TryEnsureSufficientExecutionStack())
            {
                throw new InvalidJsonSchemaException(
                    $"The schema applies more than {MaxDepth} subschemas one inside another at one place in the document (through $ref, allOf, anyOf, oneOf, not, if/then/else or dependentSchemas), from '{Truncate(path[0].Location)}'; a schema this deep is refused rather than risk the stack.");
            }

            _cancellationToken.ThrowIfCancellationRequested();
            height[node] = -1;
            path.Add(node);
            var tallest = 0;
            foreach (var child in node.InPlaceChildren())
            {
                tallest = Math.Max(tallest, Visit(child));
            }

            path.RemoveAt(path.Count - 1);
            if (tallest + 1 > MaxDepth)
            {
                throw new InvalidJsonSchemaException(
                    $"The schema applies more than {MaxDepth} subschemas one inside another at one place in the document (through $ref, allOf, anyOf, oneOf, not, if/then/else or dependentSchemas), from '{Truncate(node.Location)}'; a schema this deep is refused rather than risk the stack.");
            }

            height[node] = tallest + 1;
            return tallest + 1;
        }
    }
}
