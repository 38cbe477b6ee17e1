using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;

namespace HybridInference.JsonSchema;

/// <content>Reading a schema object's keywords, by vocabulary, into its <see cref="SchemaNode"/>.</content>
internal sealed partial class SchemaCompiler
{
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
}
