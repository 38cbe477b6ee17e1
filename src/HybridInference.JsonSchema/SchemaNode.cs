using System.Text.Json;
using System.Text.RegularExpressions;

namespace HybridInference.JsonSchema;

/// <summary>
/// One compiled schema (an object or boolean schema at one location): its keywords read once into fields, its
/// subschemas and references linked to their compiled nodes. Immutable after compilation and shared by threads.
/// </summary>
internal sealed partial class SchemaNode
{
    /// <summary>Initializes a new instance of the <see cref="SchemaNode"/> class.</summary>
    /// <param name="resource">The resource the schema belongs to.</param>
    /// <param name="location">Where the schema is, for error messages.</param>
    public SchemaNode(SchemaResource resource, string location)
    {
        Resource = resource;
        Location = location;
    }

    /// <summary>Gets the schema resource this schema belongs to.</summary>
    public SchemaResource Resource { get; }

    /// <summary>Gets where the schema is (<c>#/properties/name</c>, or a URI for another document).</summary>
    public string Location { get; }

    /// <summary>Gets or sets the value of a boolean schema; null for an object schema.</summary>
    public bool? Boolean { get; set; }

    // Core: references.
    public SchemaNode? Ref { get; set; }

    public SchemaNode? DynamicRef { get; set; }

    /// <summary>Gets or sets the anchor name a <c>$dynamicRef</c> searches the dynamic scope for; null when it acts as <c>$ref</c>.</summary>
    public string? DynamicRefAnchor { get; set; }

    // Validation vocabulary.
    public JsonTypes Types { get; set; }

    public bool HasConst { get; set; }

    public JsonElement Const { get; set; }

    public JsonElement[]? Enum { get; set; }

    /// <summary>Gets or sets the raw JSON text (quotes included) of the string members of <see cref="Enum"/> that have no escapes, for byte comparison.</summary>
    public byte[][]? EnumStrings { get; set; }

    /// <summary>Gets or sets a value indicating whether <see cref="Enum"/> has a string member with escapes, which only a decoded comparison can match.</summary>
    public bool EnumHasEscapedStrings { get; set; }

    public double? Minimum { get; set; }

    public double? Maximum { get; set; }

    public double? ExclusiveMinimum { get; set; }

    public double? ExclusiveMaximum { get; set; }

    public double? MultipleOf { get; set; }

    public decimal? MultipleOfDecimal { get; set; }

    public int? MinLength { get; set; }

    public int? MaxLength { get; set; }

    public Regex? Pattern { get; set; }

    public int? MinItems { get; set; }

    public int? MaxItems { get; set; }

    public bool UniqueItems { get; set; }

    public int? MinContains { get; set; }

    public int? MaxContains { get; set; }

    public int? MinProperties { get; set; }

    public int? MaxProperties { get; set; }

    public byte[][]? Required { get; set; }

    /// <summary>
    /// Gets or sets the bits, by position in <see cref="Properties"/>, of the required names when every one of them is
    /// a declared property among the first 64: then the member walk checks <c>required</c> without a lookup per name.
    /// Zero when the names must be looked up.
    /// </summary>
    public ulong RequiredMask { get; set; }

    public string[]? RequiredNames { get; set; }

    public (string Property, byte[] Utf8, string[] Names, byte[][] Required)[]? DependentRequired { get; set; }

    // Applicator vocabulary.
    public SchemaNode[]? AllOf { get; set; }

    public SchemaNode[]? AnyOf { get; set; }

    public SchemaNode[]? OneOf { get; set; }

    public SchemaNode? Not { get; set; }

    public SchemaNode? If { get; set; }

    public SchemaNode? Then { get; set; }

    public SchemaNode? Else { get; set; }

    public (string Property, byte[] Utf8, SchemaNode Schema)[]? DependentSchemas { get; set; }

    public SchemaNode[]? PrefixItems { get; set; }

    public SchemaNode? Items { get; set; }

    public SchemaNode? Contains { get; set; }

    public PropertyTable? Properties { get; set; }

    public (Regex Pattern, SchemaNode Schema)[]? PatternProperties { get; set; }

    public SchemaNode? AdditionalProperties { get; set; }

    public SchemaNode? PropertyNames { get; set; }

    // Unevaluated vocabulary.
    public SchemaNode? UnevaluatedItems { get; set; }

    public SchemaNode? UnevaluatedProperties { get; set; }

    // Format.
    public string? Format { get; set; }

    public bool AssertFormat { get; set; }

    /// <summary>Gets or sets a value indicating whether any keyword looks at object members.</summary>
    public bool HasObjectKeywords { get; set; }

    /// <summary>Gets or sets a value indicating whether any keyword looks at array items.</summary>
    public bool HasArrayKeywords { get; set; }

    /// <summary>Gets or sets a value indicating whether any keyword looks at strings.</summary>
    public bool HasStringKeywords { get; set; }

    /// <summary>Gets or sets a value indicating whether any keyword looks at numbers.</summary>
    public bool HasNumberKeywords { get; set; }

    /// <summary>Gets or sets a value indicating whether any in-place applicator is present.</summary>
    public bool HasInPlaceApplicators { get; set; }

    /// <summary>Lists the schemas evaluated at the same instance location, for the compiler's cycle check.</summary>
    public List<SchemaNode> InPlaceChildren()
    {
        List<SchemaNode> children = [];
        foreach (var node in new[] { Ref, DynamicRef, Not, If, Then, Else })
        {
            if (node is not null)
            {
                children.Add(node);
            }
        }

        children.AddRange(AllOf ?? []);
        children.AddRange(AnyOf ?? []);
        children.AddRange(OneOf ?? []);
        foreach (var dependent in DependentSchemas ?? [])
        {
            children.Add(dependent.Schema);
        }

        return children;
    }
}
