using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

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
internal sealed class SchemaCompiler
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

    private SchemaLocation AddDocument(JsonElement root, string retrievalUri)
    {
        var location = new SchemaLocation(_roots.Count, string.Empty);
        _roots.Add((root, retrievalUri));
        _resources.TryAdd(retrievalUri, location);
        Index(location, root, retrievalUri, parent: null, depth: 0);
        return location;
    }

    private void Index(SchemaLocation location, JsonElement element, string baseUri, SchemaResource? parent, int depth)
    {
        if (_indexed.ContainsKey(location))
        {
            return;
        }

        if (depth > MaxDepth || !RuntimeHelpers.TryEnsureSufficientExecutionStack())
        {
            throw TooDeep(location);
        }

        _cancellationToken.ThrowIfCancellationRequested();

        if (element.ValueKind != JsonValueKind.Object)
        {
            _indexed[location] = new IndexedSchema(element, baseUri, parent ?? new SchemaResource(baseUri, Vocabularies.Default));
            return;
        }

        var resource = parent;
        if (element.TryGetProperty("$id"u8, out var id) && id.ValueKind == JsonValueKind.String)
        {
            baseUri = SchemaUri.Resolve(baseUri, SchemaUri.Split(id.GetString()!).Uri);
            _resources.TryAdd(baseUri, location);
            resource = null;
        }

        if (resource is null)
        {
            resource = new SchemaResource(baseUri, parent?.Vocabularies ?? Vocabularies.Default);
            _indexed[location] = new IndexedSchema(element, baseUri, resource);
            if (element.TryGetProperty("$schema"u8, out var dialect) && dialect.ValueKind == JsonValueKind.String)
            {
                resource.Vocabularies = VocabulariesOf(dialect.GetString()!, location);
            }
        }
        else
        {
            _indexed[location] = new IndexedSchema(element, baseUri, resource);
        }

        if (element.TryGetProperty("$anchor"u8, out var anchor) && anchor.ValueKind == JsonValueKind.String)
        {
            _anchors.TryAdd($"{baseUri}#{anchor.GetString()}", location);
        }

        if (element.TryGetProperty("$dynamicAnchor"u8, out var dynamicAnchor) && dynamicAnchor.ValueKind == JsonValueKind.String)
        {
            var name = dynamicAnchor.GetString()!;
            _anchors.TryAdd($"{baseUri}#{name}", location);
            resource.DynamicAnchorLocations.TryAdd(name, location);
        }

        foreach (var keyword in SchemaMapKeywords)
        {
            if (element.TryGetProperty(keyword, out var map) && map.ValueKind == JsonValueKind.Object)
            {
                foreach (var member in map.EnumerateObject())
                {
                    Index(Child(Child(location, keyword), member.Name), member.Value, baseUri, resource, depth + 1);
                }
            }
        }

        foreach (var keyword in SchemaArrayKeywords)
        {
            if (element.TryGetProperty(keyword, out var array) && array.ValueKind == JsonValueKind.Array)
            {
                var i = 0;
                foreach (var item in array.EnumerateArray())
                {
                    Index(Child(Child(location, keyword), i++), item, baseUri, resource, depth + 1);
                }
            }
        }

        foreach (var keyword in SchemaKeywords)
        {
            if (element.TryGetProperty(keyword, out var subschema) && subschema.ValueKind is JsonValueKind.Object or JsonValueKind.True or JsonValueKind.False)
            {
                Index(Child(location, keyword), subschema, baseUri, resource, depth + 1);
            }
        }
    }

    private Vocabularies VocabulariesOf(string dialect, SchemaLocation where)
    {
        var uri = SchemaUri.Normalize(dialect);
        if (uri == SchemaDocuments.Draft202012)
        {
            return Vocabularies.Default;
        }

        JsonElement metaschema;
        if (_resources.TryGetValue(uri, out var known))
        {
            metaschema = _indexed[known].Element;
        }
        else if (_documents.TryGet(uri, out var document))
        {
            metaschema = _indexed[AddDocument(document, uri)].Element;
        }
        else
        {
            // An unknown dialect (an older draft's URI, say): keywords are read with draft 2020-12 meanings.
            return Vocabularies.Default;
        }

        if (metaschema.ValueKind != JsonValueKind.Object || !metaschema.TryGetProperty("$vocabulary"u8, out var declared) || declared.ValueKind != JsonValueKind.Object)
        {
            return Vocabularies.Default;
        }

        var vocabularies = Vocabularies.Core;
        foreach (var entry in declared.EnumerateObject())
        {
            if (VocabularyUris.TryParse(entry.Name, out var vocabulary))
            {
                vocabularies |= vocabulary;
            }
            else if (entry.Value.ValueKind == JsonValueKind.True)
            {
                throw new InvalidJsonSchemaException(
                    $"The meta-schema '{uri}' named by '$schema' at '{Describe(where)}' requires the vocabulary '{entry.Name}', which this validator does not know.");
            }
        }

        return vocabularies;
    }

    private IndexedSchema? GetIndexed(SchemaLocation location)
    {
        if (_indexed.TryGetValue(location, out var found))
        {
            return found;
        }

        if (Navigate(_roots[location.Document].Root, location.Pointer) is not { } element)
        {
            return null;
        }

        // A location no keyword walk reached (inside an unknown keyword): it takes the base of its nearest indexed ancestor.
        var pointer = location.Pointer;
        IndexedSchema? ancestor = null;
        while (pointer.Length > 0 && ancestor is null)
        {
            pointer = pointer[..pointer.LastIndexOf('/')];
            _indexed.TryGetValue(location with { Pointer = pointer }, out ancestor);
        }

        ancestor ??= _indexed[location with { Pointer = string.Empty }];
        Index(location, element, ancestor.BaseUri, ancestor.Resource, depth: 0);
        return _indexed[location];
    }

    private SchemaLocation ResolveReference(string baseUri, string reference, SchemaLocation where, string keyword)
    {
        var (uri, fragment) = SchemaUri.Split(reference);
        var absolute = uri.Length == 0 ? baseUri : SchemaUri.Resolve(baseUri, uri);
        if (!_resources.TryGetValue(absolute, out var resource))
        {
            if (!_documents.TryGet(absolute, out var document))
            {
                throw Unresolvable();
            }

            AddDocument(document, absolute);
            resource = _resources[absolute];
        }

        if (string.IsNullOrEmpty(fragment))
        {
            return resource;
        }

        fragment = SchemaUri.DecodeFragment(fragment);
        if (fragment[0] == '/')
        {
            var target = resource with { Pointer = resource.Pointer + fragment };
            return GetIndexed(target) is null ? throw Unresolvable() : target;
        }

        return _anchors.TryGetValue($"{absolute}#{fragment}", out var anchored) ? anchored : throw Unresolvable();

        InvalidJsonSchemaException Unresolvable() => new(
            $"The {keyword} '{reference}' at '{Describe(where)}' points to no schema: '{absolute}' is neither in the schema nor a known document, or it has no such fragment. Schemas are never fetched over the network.");
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

    private void ReadKeywords(SchemaNode node, SchemaLocation location, IndexedSchema indexed)
    {
        var vocabularies = indexed.Resource.Vocabularies;
        var applicator = (vocabularies & Vocabularies.Applicator) != 0;
        var validation = (vocabularies & Vocabularies.Validation) != 0;
        var unevaluated = (vocabularies & Vocabularies.Unevaluated) != 0;
        var legacyItems = false;
        foreach (var keyword in indexed.Element.EnumerateObject())
        {
            var value = keyword.Value;
            var at = Child(location, keyword.Name);
            switch (keyword.Name)
            {
                case "$ref":
                    node.Ref = CompileNode(ResolveReference(indexed.BaseUri, ReadString(value, keyword.Name, location), location, "$ref"));
                    break;
                case "$dynamicRef":
                    ReadDynamicRef(node, ReadString(value, keyword.Name, location), location, indexed.BaseUri);
                    break;

                case "allOf" when applicator:
                    node.AllOf = ReadSchemaArray(value, keyword.Name, location);
                    break;
                case "anyOf" when applicator:
                    node.AnyOf = ReadSchemaArray(value, keyword.Name, location);
                    break;
                case "oneOf" when applicator:
                    node.OneOf = ReadSchemaArray(value, keyword.Name, location);
                    break;
                case "not" when applicator:
                    node.Not = CompileNode(at);
                    break;
                case "if" when applicator:
                    node.If = CompileNode(at);
                    break;
                case "then" when applicator:
                    node.Then = CompileNode(at);
                    break;
                case "else" when applicator:
                    node.Else = CompileNode(at);
                    break;
                case "dependentSchemas" when applicator:
                    node.DependentSchemas = ReadMap(value, keyword.Name, location, (name, _) => (name, Encoding.UTF8.GetBytes(name), CompileNode(Child(at, name))));
                    break;
                case "prefixItems" when applicator:
                    node.PrefixItems = ReadSchemaArray(value, keyword.Name, location);
                    break;
                case "items" when applicator:
                    if (value.ValueKind == JsonValueKind.Array)
                    {
                        // The draft 2019-09 form: an array of item schemas, continued by additionalItems.
                        legacyItems = true;
                        node.PrefixItems = ReadSchemaArray(value, keyword.Name, location);
                    }
                    else
                    {
                        node.Items = CompileNode(at);
                    }

                    break;
                case "contains" when applicator:
                    node.Contains = CompileNode(at);
                    break;
                case "properties" when applicator:
                    var properties = ReadMap(value, keyword.Name, location, (name, _) => (name, CompileNode(Child(at, name))));
                    node.Properties = new PropertyTable(Array.ConvertAll(properties, p => p.name), Array.ConvertAll(properties, p => p.Item2));
                    break;
                case "patternProperties" when applicator:
                    node.PatternProperties = ReadMap(value, keyword.Name, location, (name, _) => (CreateRegex(name, keyword.Name, location), CompileNode(Child(at, name))));
                    break;
                case "additionalProperties" when applicator:
                    node.AdditionalProperties = CompileNode(at);
                    break;
                case "propertyNames" when applicator:
                    node.PropertyNames = CompileNode(at);
                    break;

                case "unevaluatedItems" when unevaluated:
                    node.UnevaluatedItems = CompileNode(at);
                    break;
                case "unevaluatedProperties" when unevaluated:
                    node.UnevaluatedProperties = CompileNode(at);
                    break;

                default:
                    // Assertions and annotations recurse nowhere: read apart, so this frame (on the recursive path) stays small.
                    ReadAssertion(node, keyword, location, validation, vocabularies);
                    break;
            }
        }

        if (legacyItems && applicator && indexed.Element.TryGetProperty("additionalItems"u8, out _))
        {
            node.Items = CompileNode(Child(location, "additionalItems"));
        }

        if (node.If is null)
        {
            node.Then = null;
            node.Else = null;
        }

        node.RequiredMask = RequiredMask(node);

        node.HasNumberKeywords = node.Minimum is not null || node.Maximum is not null || node.ExclusiveMinimum is not null
            || node.ExclusiveMaximum is not null || node.MultipleOf is not null;
        node.HasStringKeywords = node.MinLength is not null || node.MaxLength is not null || node.Pattern is not null || (node.AssertFormat && node.Format is not null);
        node.HasObjectKeywords = node.MinProperties is not null || node.MaxProperties is not null || node.Required is not null
            || node.DependentRequired is not null || node.DependentSchemas is not null || node.Properties is not null
            || node.PatternProperties is not null || node.AdditionalProperties is not null || node.PropertyNames is not null;
        node.HasArrayKeywords = node.MinItems is not null || node.MaxItems is not null || node.UniqueItems || node.PrefixItems is not null
            || node.Items is not null || node.Contains is not null;
        node.HasInPlaceApplicators = node.Ref is not null || node.DynamicRef is not null || node.AllOf is not null || node.AnyOf is not null
            || node.OneOf is not null || node.Not is not null || node.If is not null;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private void ReadAssertion(SchemaNode node, JsonProperty keyword, SchemaLocation location, bool validation, Vocabularies vocabularies)
    {
        var value = keyword.Value;
        switch (keyword.Name)
        {
                case "type" when validation:
                    node.Types = ReadTypes(value, location);
                    break;
                case "const" when validation:
                    node.HasConst = true;
                    node.Const = value;
                    break;
                case "enum" when validation:
                    node.Enum = value.ValueKind == JsonValueKind.Array ? [.. value.EnumerateArray()] : throw Invalid(keyword.Name, location, "must be an array");
                    ReadEnumStrings(node);
                    break;
                case "multipleOf" when validation:
                    node.MultipleOf = ReadNumber(value, keyword.Name, location);
                    node.MultipleOfDecimal = value.TryGetDecimal(out var divisor) ? divisor : null;
                    if (node.MultipleOf <= 0)
                    {
                        throw Invalid(keyword.Name, location, "must be greater than 0");
                    }

                    break;
                case "minimum" when validation:
                    node.Minimum = ReadNumber(value, keyword.Name, location);
                    break;
                case "maximum" when validation:
                    node.Maximum = ReadNumber(value, keyword.Name, location);
                    break;
                case "exclusiveMinimum" when validation:
                    node.ExclusiveMinimum = ReadNumber(value, keyword.Name, location);
                    break;
                case "exclusiveMaximum" when validation:
                    node.ExclusiveMaximum = ReadNumber(value, keyword.Name, location);
                    break;
                case "minLength" when validation:
                    node.MinLength = ReadCount(value, keyword.Name, location);
                    break;
                case "maxLength" when validation:
                    node.MaxLength = ReadCount(value, keyword.Name, location);
                    break;
                case "pattern" when validation:
                    node.Pattern = CreateRegex(ReadString(value, keyword.Name, location), keyword.Name, location);
                    break;
                case "minItems" when validation:
                    node.MinItems = ReadCount(value, keyword.Name, location);
                    break;
                case "maxItems" when validation:
                    node.MaxItems = ReadCount(value, keyword.Name, location);
                    break;
                case "uniqueItems" when validation:
                    node.UniqueItems = value.ValueKind switch
                    {
                        JsonValueKind.True => true,
                        JsonValueKind.False => false,
                        _ => throw Invalid(keyword.Name, location, "must be a boolean"),
                    };
                    break;
                case "minContains" when validation:
                    node.MinContains = ReadCount(value, keyword.Name, location);
                    break;
                case "maxContains" when validation:
                    node.MaxContains = ReadCount(value, keyword.Name, location);
                    break;
                case "minProperties" when validation:
                    node.MinProperties = ReadCount(value, keyword.Name, location);
                    break;
                case "maxProperties" when validation:
                    node.MaxProperties = ReadCount(value, keyword.Name, location);
                    break;
                case "required" when validation:
                    node.RequiredNames = ReadStrings(value, keyword.Name, location);
                    node.Required = Array.ConvertAll(node.RequiredNames, Encoding.UTF8.GetBytes);
                    break;
                case "dependentRequired" when validation:
                    node.DependentRequired = ReadMap(value, keyword.Name, location, (name, names) =>
                    {
                        var required = ReadStrings(names, keyword.Name, location);
                        return (name, Encoding.UTF8.GetBytes(name), required, Array.ConvertAll(required, Encoding.UTF8.GetBytes));
                    });
                    break;

                case "format":
                    node.Format = value.ValueKind == JsonValueKind.String ? value.GetString() : throw Invalid(keyword.Name, location, "must be a string");
                    node.AssertFormat = _assertFormats || (vocabularies & Vocabularies.FormatAssertion) != 0;
                    break;
        }
    }

    private static void ReadEnumStrings(SchemaNode node)
    {
        List<byte[]> strings = [];
        foreach (var value in node.Enum!)
        {
            if (value.ValueKind != JsonValueKind.String)
            {
                continue;
            }

            var raw = System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(value);
            if (raw.Contains((byte)'\\'))
            {
                node.EnumHasEscapedStrings = true;
            }
            else
            {
                strings.Add(raw.ToArray());
            }
        }

        node.EnumStrings = [.. strings];
    }

    private static ulong RequiredMask(SchemaNode node)
    {
        if (node.Required is not { Length: > 0 } required || node.Properties is not { } properties)
        {
            return 0;
        }

        var mask = 0UL;
        foreach (var name in required)
        {
            var position = properties.IndexOf(name);
            if (position is < 0 or >= 64)
            {
                return 0;
            }

            mask |= 1UL << position;
        }

        return mask;
    }

    private void ReadDynamicRef(SchemaNode node, string reference, SchemaLocation location, string baseUri)
    {
        var target = ResolveReference(baseUri, reference, location, "$dynamicRef");
        node.DynamicRef = CompileNode(target);

        // Only a fragment naming a $dynamicAnchor of the schema it first resolves to makes the reference dynamic.
        var fragment = SchemaUri.Split(reference).Fragment;
        if (!string.IsNullOrEmpty(fragment) && fragment[0] != '/'
            && _indexed[target].Element is { ValueKind: JsonValueKind.Object } element
            && element.TryGetProperty("$dynamicAnchor"u8, out var anchor) && anchor.ValueEquals(fragment))
        {
            node.DynamicRefAnchor = fragment;
            _usesDynamicScope = true;
        }
    }

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

    private SchemaNode[] ReadSchemaArray(JsonElement value, string keyword, SchemaLocation location)
    {
        if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() == 0)
        {
            throw Invalid(keyword, location, "must be a non-empty array of schemas");
        }

        var nodes = new SchemaNode[value.GetArrayLength()];
        for (var i = 0; i < nodes.Length; i++)
        {
            nodes[i] = CompileNode(Child(Child(location, keyword), i));
        }

        return nodes;
    }

    private T[] ReadMap<T>(JsonElement value, string keyword, SchemaLocation location, Func<string, JsonElement, T> read)
    {
        if (value.ValueKind != JsonValueKind.Object)
        {
            throw Invalid(keyword, location, "must be an object");
        }

        List<T> entries = [];
        foreach (var member in value.EnumerateObject())
        {
            entries.Add(read(member.Name, member.Value));
        }

        return [.. entries];
    }

    private JsonTypes ReadTypes(JsonElement value, SchemaLocation location)
    {
        if (value.ValueKind == JsonValueKind.String)
        {
            return JsonTypeNames.TryParse(value.GetString(), out var type) ? type : throw Invalid("type", location, $"names an unknown type '{value.GetString()}'");
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            throw Invalid("type", location, "must be a type name or an array of type names");
        }

        var types = JsonTypes.None;
        foreach (var item in value.EnumerateArray())
        {
            types |= item.ValueKind == JsonValueKind.String && JsonTypeNames.TryParse(item.GetString(), out var type)
                ? type
                : throw Invalid("type", location, $"names an unknown type {item.GetRawText()}");
        }

        return types;
    }

    private string[] ReadStrings(JsonElement value, string keyword, SchemaLocation location)
    {
        if (value.ValueKind != JsonValueKind.Array)
        {
            throw Invalid(keyword, location, "must be an array of strings");
        }

        List<string> strings = [];
        foreach (var item in value.EnumerateArray())
        {
            strings.Add(item.ValueKind == JsonValueKind.String ? item.GetString()! : throw Invalid(keyword, location, "must be an array of strings"));
        }

        return [.. strings];
    }

    private string ReadString(JsonElement value, string keyword, SchemaLocation location) =>
        value.ValueKind == JsonValueKind.String ? value.GetString()! : throw Invalid(keyword, location, "must be a string");

    private double ReadNumber(JsonElement value, string keyword, SchemaLocation location) =>
        value.ValueKind == JsonValueKind.Number ? JsonValues.GetDouble(value) : throw Invalid(keyword, location, "must be a number");

    private int ReadCount(JsonElement value, string keyword, SchemaLocation location)
    {
        if (value.ValueKind != JsonValueKind.Number || !JsonValues.IsInteger(value) || JsonValues.GetDouble(value) < 0)
        {
            throw Invalid(keyword, location, "must be a non-negative integer");
        }

        return (int)Math.Min(JsonValues.GetDouble(value), int.MaxValue);
    }

    private Regex CreateRegex(string pattern, string keyword, SchemaLocation location)
    {
        try
        {
            return EcmaRegex.Create(pattern);
        }
        catch (ArgumentException ex)
        {
            throw new InvalidJsonSchemaException($"'{keyword}' at '{Describe(location)}' holds '{pattern}', which is not a valid regular expression: {ex.Message}", ex);
        }
    }

    private InvalidJsonSchemaException Invalid(string keyword, SchemaLocation location, string problem) =>
        new($"'{keyword}' at '{Describe(location)}' {problem}.");

    private string Describe(SchemaLocation location) =>
        location.Document == 0 ? $"#{location.Pointer}" : $"{_roots[location.Document].Uri}#{location.Pointer}";

    private static string DescribeKind(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Undefined => "nothing",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.Null => "null",
        _ => kind.ToString(),
    };

    private static SchemaLocation Child(SchemaLocation location, string name) =>
        location with { Pointer = $"{location.Pointer}/{name.Replace("~", "~0", StringComparison.Ordinal).Replace("/", "~1", StringComparison.Ordinal)}" };

    private static SchemaLocation Child(SchemaLocation location, int index) =>
        location with { Pointer = $"{location.Pointer}/{index}" };

    private static JsonElement? Navigate(JsonElement root, string pointer)
    {
        var current = root;
        if (pointer.Length == 0)
        {
            return current;
        }

        foreach (var token in pointer[1..].Split('/'))
        {
            var name = token.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            if (current.ValueKind == JsonValueKind.Object && current.TryGetProperty(name, out var member))
            {
                current = member;
            }
            else if (current.ValueKind == JsonValueKind.Array && int.TryParse(name, out var index) && index >= 0 && index < current.GetArrayLength())
            {
                current = current[index];
            }
            else
            {
                return null;
            }
        }

        return current;
    }

    private sealed record IndexedSchema(JsonElement Element, string BaseUri, SchemaResource Resource);
}
