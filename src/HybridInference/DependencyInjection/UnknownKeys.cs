namespace HybridInference.DependencyInjection;

/// <summary>
/// Says what is wrong with a configuration key nothing reads: its full key, and the nearest key that exists there
/// (a typo such as <c>LocalContextLimt</c>) or, when none is close, the keys that do.
/// </summary>
internal static class UnknownKeys
{
    /// <summary>Describes the unknown key <paramref name="path"/>, a child of a section bound to <paramref name="parentType"/>.</summary>
    /// <param name="path">The key's full path (<c>HybridInference:Routing:LocalContextLimt</c>).</param>
    /// <param name="parentType">The type its section binds to.</param>
    /// <param name="boundElsewhere">Sections other packages bind, by full path; those under the same section are known keys too.</param>
    /// <returns>One sentence.</returns>
    public static string Describe(string path, Type parentType, IReadOnlyDictionary<string, Type>? boundElsewhere)
    {
        var split = path.LastIndexOf(':');
        var parent = split < 0 ? string.Empty : path[..split];
        var key = path[(split + 1)..];
        var known = new List<string>();
        foreach (var property in ConfigurationValueCheck.BindableProperties(parentType))
        {
            known.Add(property.Name);
        }

        foreach (var section in boundElsewhere?.Keys ?? [])
        {
            if (section.Length > parent.Length + 1 && section.StartsWith(parent + ":", StringComparison.OrdinalIgnoreCase) && section.IndexOf(':', parent.Length + 1) < 0)
            {
                known.Add(section[(parent.Length + 1)..]);
            }
        }

        var sentence = $"{path} is not a configuration key of HybridInference: nothing reads it";
        return Nearest(key, known) is { } nearest
            ? $"{sentence}. Did you mean {parent}:{nearest}?"
            : known.Count == 0
                ? $"{sentence}; {parent} has no keys of its own."
                : $"{sentence}; the keys under {parent} are {string.Join(", ", known)}.";
    }

    /// <summary>The known key closest to <paramref name="key"/> (any case), when at most a third of its letters (1 to 3) differ.</summary>
    internal static string? Nearest(string key, IReadOnlyList<string> known)
    {
        var limit = Math.Clamp(key.Length / 3, 1, 3);
        string? best = null;
        var bestDistance = limit + 1;
        foreach (var candidate in known)
        {
            var distance = Distance(key, candidate);
            if (distance < bestDistance)
            {
                (best, bestDistance) = (candidate, distance);
            }
        }

        return best;
    }

    /// <summary>The Levenshtein distance of two keys, without regard to case.</summary>
    private static int Distance(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var same = char.ToUpperInvariant(a[i - 1]) == char.ToUpperInvariant(b[j - 1]);
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + (same ? 0 : 1));
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
