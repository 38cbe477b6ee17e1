using System.Runtime.CompilerServices;
using System.Text.Json;

namespace HybridInference.JsonSchema;

/// <content>
/// Indexing: the documents, their resources (<c>$id</c>), anchors and dialects, and resolving a <c>$ref</c> to the
/// schema it names.
/// </content>
internal sealed partial class SchemaCompiler
{
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
