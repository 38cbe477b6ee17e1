namespace HybridInference.JsonSchema;

/// <summary>Resolves and normalises the URIs that identify schema resources (<c>$id</c>, <c>$ref</c>, <c>$schema</c>).</summary>
internal static class SchemaUri
{
    /// <summary>The base URI of a schema that declares no <c>$id</c>; relative references resolve against it.</summary>
    public const string DefaultBase = "https://schema.hybridinference.invalid/root.json";

    /// <summary>Splits <paramref name="reference"/> into its part before <c>#</c> and its fragment (null when there is no <c>#</c>).</summary>
    public static (string Uri, string? Fragment) Split(string reference)
    {
        var hash = reference.IndexOf('#', StringComparison.Ordinal);
        return hash < 0 ? (reference, null) : (reference[..hash], reference[(hash + 1)..]);
    }

    /// <summary>Resolves <paramref name="reference"/> (without its fragment) against <paramref name="baseUri"/>, normalised.</summary>
    /// <exception cref="InvalidJsonSchemaException">The reference cannot be resolved to an absolute URI.</exception>
    public static string Resolve(string baseUri, string reference)
    {
        if (reference.Length == 0)
        {
            return baseUri;
        }

        if (HasScheme(reference))
        {
            return Normalize(reference);
        }

        if (Uri.TryCreate(baseUri, UriKind.Absolute, out var absoluteBase) && IsHierarchical(absoluteBase)
            && Uri.TryCreate(absoluteBase, reference, out var resolved))
        {
            return Normalize(resolved.AbsoluteUri);
        }

        throw new InvalidJsonSchemaException($"The reference '{reference}' cannot be resolved against the base URI '{baseUri}'.");
    }

    /// <summary>Gives one spelling per resource URI: no fragment, scheme and host in lower case, escaping as <see cref="Uri"/> does it.</summary>
    public static string Normalize(string uri)
    {
        var (withoutFragment, _) = Split(uri);
        if (Uri.TryCreate(withoutFragment, UriKind.Absolute, out var parsed) && IsHierarchical(parsed))
        {
            return parsed.GetComponents(UriComponents.AbsoluteUri & ~UriComponents.Fragment, UriFormat.UriEscaped);
        }

        return withoutFragment;
    }

    /// <summary>Decodes the percent-escapes of a URI fragment (<c>%25</c> → <c>%</c>, <c>%22</c> → <c>"</c>).</summary>
    public static string DecodeFragment(string fragment) =>
        fragment.Contains('%', StringComparison.Ordinal) ? Uri.UnescapeDataString(fragment) : fragment;

    private static bool IsHierarchical(Uri uri) =>
        uri.Scheme is "http" or "https" or "file";

    private static bool HasScheme(string reference)
    {
        var colon = reference.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || !char.IsAsciiLetter(reference[0]))
        {
            return false;
        }

        for (var i = 1; i < colon; i++)
        {
            var c = reference[i];
            if (!char.IsAsciiLetterOrDigit(c) && c is not ('+' or '-' or '.'))
            {
                return false;
            }
        }

        return true;
    }
}
