namespace HybridInference.JsonSchema;

/// <summary>The draft 2020-12 vocabularies a schema resource uses; keywords of a vocabulary that is off are ignored.</summary>
[Flags]
internal enum Vocabularies
{
    /// <summary>No vocabulary beyond the core, which is always on.</summary>
    Core = 0,

    /// <summary><c>allOf</c>, <c>properties</c>, <c>items</c> and the other keywords that apply subschemas.</summary>
    Applicator = 1,

    /// <summary><c>unevaluatedItems</c> and <c>unevaluatedProperties</c>.</summary>
    Unevaluated = 2,

    /// <summary><c>type</c>, <c>enum</c>, <c>minimum</c> and the other assertions.</summary>
    Validation = 4,

    /// <summary><c>format</c> as an assertion rather than an annotation.</summary>
    FormatAssertion = 8,

    /// <summary>What the standard draft 2020-12 meta-schema declares.</summary>
    Default = Applicator | Unevaluated | Validation,
}

/// <summary>Maps the vocabulary URIs of <c>$vocabulary</c> to <see cref="Vocabularies"/>.</summary>
internal static class VocabularyUris
{
    private const string Prefix = "https://json-schema.org/draft/2020-12/vocab/";

    /// <summary>Reads the vocabulary URI <paramref name="uri"/>.</summary>
    /// <param name="uri">A key of a meta-schema's <c>$vocabulary</c>.</param>
    /// <param name="vocabulary">The vocabulary, or <see cref="Vocabularies.Core"/> for one with no keywords of its own to apply.</param>
    /// <returns><see langword="false"/> when the URI names no vocabulary this validator knows.</returns>
    public static bool TryParse(string uri, out Vocabularies vocabulary)
    {
        vocabulary = Vocabularies.Core;
        if (!uri.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return false;
        }

        switch (uri.AsSpan(Prefix.Length))
        {
            case "applicator":
                vocabulary = Vocabularies.Applicator;
                return true;
            case "unevaluated":
                vocabulary = Vocabularies.Unevaluated;
                return true;
            case "validation":
                vocabulary = Vocabularies.Validation;
                return true;
            case "format-assertion":
                vocabulary = Vocabularies.FormatAssertion;
                return true;
            case "core" or "meta-data" or "format-annotation" or "content":
                return true;
            default:
                return false;
        }
    }
}
