namespace HybridInference.JsonSchema;

/// <summary>
/// A schema resource: a schema with its own base URI (a document root or a subschema with <c>$id</c>). It is the
/// unit of the dynamic scope that <c>$dynamicRef</c> searches, and it carries the vocabularies its keywords use.
/// </summary>
internal sealed class SchemaResource(string uri, Vocabularies vocabularies)
{
    /// <summary>Gets the resource's absolute base URI.</summary>
    public string Uri { get; } = uri;

    /// <summary>Gets or sets the vocabularies in force, from the meta-schema named by <c>$schema</c>.</summary>
    public Vocabularies Vocabularies { get; set; } = vocabularies;

    /// <summary>Gets where each <c>$dynamicAnchor</c> of this resource is, by name.</summary>
    public Dictionary<string, SchemaLocation> DynamicAnchorLocations { get; } = new(StringComparer.Ordinal);

    /// <summary>Gets the compiled schemas of the resource's <c>$dynamicAnchor</c>s, by name, once compiled.</summary>
    public Dictionary<string, SchemaNode> DynamicAnchors { get; } = new(StringComparer.Ordinal);
}

/// <summary>Where a schema is: a document (by index in the compilation) and a JSON Pointer from its root.</summary>
/// <param name="Document">The index of the document in the compilation.</param>
/// <param name="Pointer">The JSON Pointer from the document root, with <c>~0</c>/<c>~1</c> escapes.</param>
internal readonly record struct SchemaLocation(int Document, string Pointer);
