using System.Collections.Concurrent;
using System.Text.Json;

namespace HybridInference.JsonSchema;

/// <summary>
/// The schema documents a <c>$ref</c> or <c>$schema</c> may name by URI besides the schema itself: the draft 2020-12
/// meta-schemas, embedded in this assembly, and any document registered with <see cref="Add"/>.
/// Nothing is ever fetched from the network.
/// </summary>
/// <remarks>Thread-safe.</remarks>
internal sealed class SchemaDocuments
{
    private static readonly Dictionary<string, string> MetaschemaResources = new(StringComparer.Ordinal)
    {
        ["https://json-schema.org/draft/2020-12/schema"] = "schema.json",
        ["https://json-schema.org/draft/2020-12/meta/core"] = "core.json",
        ["https://json-schema.org/draft/2020-12/meta/applicator"] = "applicator.json",
        ["https://json-schema.org/draft/2020-12/meta/unevaluated"] = "unevaluated.json",
        ["https://json-schema.org/draft/2020-12/meta/validation"] = "validation.json",
        ["https://json-schema.org/draft/2020-12/meta/meta-data"] = "meta-data.json",
        ["https://json-schema.org/draft/2020-12/meta/format-annotation"] = "format-annotation.json",
        ["https://json-schema.org/draft/2020-12/meta/format-assertion"] = "format-assertion.json",
        ["https://json-schema.org/draft/2020-12/meta/content"] = "content.json",
    };

    private static readonly ConcurrentDictionary<string, JsonElement> Metaschemas = new(StringComparer.Ordinal);

    private readonly ConcurrentDictionary<string, JsonElement> _documents = new(StringComparer.Ordinal);

    /// <summary>The URI of the standard draft 2020-12 meta-schema.</summary>
    public const string Draft202012 = "https://json-schema.org/draft/2020-12/schema";

    /// <summary>Registers <paramref name="document"/> under <paramref name="uri"/>, its retrieval URI.</summary>
    /// <param name="uri">The absolute URI a <c>$ref</c> names the document by.</param>
    /// <param name="document">The schema document; it is copied.</param>
    public void Add(string uri, JsonElement document)
    {
        ArgumentNullException.ThrowIfNull(uri);
        _documents[SchemaUri.Normalize(uri)] = document.Clone();
    }

    /// <summary>Finds the document registered or embedded under <paramref name="uri"/> (normalised, without fragment).</summary>
    public bool TryGet(string uri, out JsonElement document)
    {
        if (_documents.TryGetValue(uri, out document))
        {
            return true;
        }

        if (!MetaschemaResources.TryGetValue(uri, out var file))
        {
            return false;
        }

        document = Metaschemas.GetOrAdd(file, static f =>
        {
            using var stream = typeof(SchemaDocuments).Assembly.GetManifestResourceStream($"HybridInference.JsonSchema.Metaschemas.{f}")
                ?? throw new InvalidOperationException($"The embedded meta-schema '{f}' is missing from the assembly.");
            using var parsed = JsonDocument.Parse(stream);
            return parsed.RootElement.Clone();
        });
        return true;
    }
}
