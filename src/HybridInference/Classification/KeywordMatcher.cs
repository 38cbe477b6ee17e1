using System.Buffers;

namespace HybridInference.Classification;

/// <summary>
/// Finds any of a set of keywords in text, case-insensitively and at word boundaries, in one vectorised pass.
/// A keyword ending in <c>*</c> matches as a prefix (<c>diagnos*</c> matches "diagnosis" and "diagnose").
/// </summary>
/// <remarks>Immutable and thread-safe; build it once at start-up.</remarks>
internal sealed class KeywordMatcher
{
    private readonly SearchValues<string> _values;
    private readonly (string Word, bool Prefix, string Keyword)[] _keywords;

    /// <summary>For each ASCII character, the keywords whose first character equals it ignoring case, in order: a match is told from the few that can start there.</summary>
    private readonly (string Word, bool Prefix, string Keyword)[][] _byFirstAscii;

    public KeywordMatcher(IEnumerable<string> keywords)
    {
        _keywords = keywords
            .Select(k => k.Trim())
            .Where(k => k.Length > 0 && k != "*")
            .Select(k => k.EndsWith('*') ? (k[..^1], true, k) : (k, false, k))
            .DistinctBy(k => (k.Item1, k.Item2))
            .ToArray();
        _values = SearchValues.Create(_keywords.Select(k => k.Word).ToArray(), StringComparison.OrdinalIgnoreCase);
        _byFirstAscii = Enumerable.Range(0, 128)
            .Select(c => _keywords.Where(k => string.Equals(((char)c).ToString(), k.Word[..1], StringComparison.OrdinalIgnoreCase)).ToArray())
            .ToArray();
    }

    public bool IsEmpty => _keywords.Length == 0;

    public bool Matches(ReadOnlySpan<char> text) => Find(text) is not null;

    /// <summary>Finds the first keyword in the text.</summary>
    /// <returns>The keyword as it was given (trimmed, with its <c>*</c>), of the first place in the text where one matches; <see langword="null"/> when none does.</returns>
    public string? Find(ReadOnlySpan<char> text)
    {
        if (_keywords.Length == 0)
        {
            return null;
        }

        var offset = 0;
        while (offset < text.Length)
        {
            var found = text[offset..].IndexOfAny(_values);
            if (found < 0)
            {
                return null;
            }

            var start = offset + found;
            if (start == 0 || !char.IsLetterOrDigit(text[start - 1]))
            {
                var first = text[start];
                foreach (var (word, prefix, keyword) in first < 128 ? _byFirstAscii[first] : _keywords)
                {
                    var rest = text[start..];
                    if (rest.StartsWith(word, StringComparison.OrdinalIgnoreCase)
                        && (prefix || rest.Length == word.Length || !char.IsLetterOrDigit(rest[word.Length])))
                    {
                        return keyword;
                    }
                }
            }

            offset = start + 1;
        }

        return null;
    }
}
