using System.Text.RegularExpressions;
using HybridInference.Classification;
using HybridInference.Internal;

namespace HybridInference.Privacy;

/// <summary>
/// Finds which sensitive topic (<c>Privacy:Topics</c>) a text touches: every topic's keywords in one vectorised pass
/// (<see cref="KeywordMatcher"/>), then every topic's patterns in one linear-time expression. Built once; immutable and
/// thread-safe.
/// </summary>
internal sealed class TopicMatcher
{
    private const string Prefix = HybridInferenceOptions.SectionName + ":Privacy:Topics";
    private const RegexOptions Linear = RegexOptions.NonBacktracking | RegexOptions.CultureInvariant | RegexOptions.IgnoreCase;

    private readonly KeywordMatcher? _keywords;
    private readonly Dictionary<string, string> _topicOfKeyword;
    private readonly Regex? _anyPattern;
    private readonly (string Topic, Regex Pattern)[] _patterns;

    private TopicMatcher(List<(string Topic, IEnumerable<string> Keywords, IEnumerable<string> Patterns)> topics)
    {
        _topicOfKeyword = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        var patterns = new List<(string, Regex)>();
        foreach (var (topic, keywords, topicPatterns) in topics)
        {
            foreach (var keyword in keywords)
            {
                _topicOfKeyword.TryAdd(keyword.Trim(), topic); // The first topic that lists a keyword reports it.
            }

            patterns.AddRange(topicPatterns.Select(pattern => (topic, new Regex(pattern, Linear))));
        }

        _keywords = _topicOfKeyword.Count > 0 ? new KeywordMatcher(_topicOfKeyword.Keys) : null;
        _patterns = [.. patterns];
        _anyPattern = patterns.Count > 0 ? new Regex(string.Join('|', patterns.Select(p => $"(?:{p.Item2})")), Linear) : null;
    }

    /// <summary>Gets the names of the topics looked for, in order.</summary>
    public IReadOnlyList<string> Topics { get; private init; } = [];

    /// <summary>Compiles the configured topics.</summary>
    /// <param name="options">The topics.</param>
    /// <returns>The matcher; <see langword="null"/> when no topic is configured (nothing is looked for).</returns>
    /// <exception cref="ArgumentException">A topic cannot be used (see <see cref="Validate"/>); the message names each key.</exception>
    public static TopicMatcher? Create(SensitiveTopicsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (options.BuiltIn.Count == 0 && options.Custom.Count == 0)
        {
            return null;
        }

        var errors = new List<string>();
        Validate(options, errors);
        if (errors.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", errors), nameof(options));
        }

        var topics = new List<(string, IEnumerable<string>, IEnumerable<string>)>();
        foreach (var name in options.BuiltIn)
        {
            var (topic, keywords, patterns) = BuiltInTopics.Find(name)!.Value;
            topics.Add((topic, keywords, patterns));
        }

        foreach (var (name, set) in options.Custom)
        {
            topics.Add((name, set.Keywords, set.Patterns));
        }

        return new TopicMatcher(topics) { Topics = [.. topics.Select(t => t.Item1).Distinct(StringComparer.OrdinalIgnoreCase)] };
    }

    /// <summary>
    /// Adds a problem for each topic that cannot be used, under its key: a built-in name there is none of, a set with
    /// no keyword or pattern, an empty keyword, a pattern that is not a linear-time regular expression.
    /// </summary>
    /// <param name="options">The topics.</param>
    /// <param name="errors">Where the problems go.</param>
    public static void Validate(SensitiveTopicsOptions options, List<string> errors)
    {
        for (var i = 0; i < options.BuiltIn.Count; i++)
        {
            if (BuiltInTopics.Find(options.BuiltIn[i]) is null)
            {
                errors.Add($"{Prefix}:BuiltIn:{i} ('{options.BuiltIn[i]}') is not a built-in topic; the built-in topics are {string.Join(", ", BuiltInTopics.Names)}.");
            }
        }

        foreach (var (name, set) in options.Custom)
        {
            var key = $"{Prefix}:Custom:{name}";
            if (set is null || (set.Keywords.Count == 0 && set.Patterns.Count == 0))
            {
                errors.Add($"{key} has neither Keywords nor Patterns; it would never match.");
                continue;
            }

            for (var i = 0; i < set.Keywords.Count; i++)
            {
                if (string.IsNullOrWhiteSpace(set.Keywords[i]) || set.Keywords[i].Trim() == "*")
                {
                    errors.Add($"{key}:Keywords:{i} is empty; it would never match.");
                }
            }

            for (var i = 0; i < set.Patterns.Count; i++)
            {
                LinearPattern.Check(set.Patterns[i], $"{key}:Patterns:{i}", errors);
            }
        }
    }

    /// <summary>Finds the topic a text touches.</summary>
    /// <param name="text">One piece of a request's text.</param>
    /// <returns>The topic's name (never the text matched); <see langword="null"/> when the text touches none.</returns>
    public string? Find(string text)
    {
        if (_keywords?.Find(text) is { } keyword)
        {
            return _topicOfKeyword[keyword];
        }

        if (_anyPattern is null || !_anyPattern.IsMatch(text))
        {
            return null;
        }

        foreach (var (topic, pattern) in _patterns)
        {
            if (pattern.IsMatch(text))
            {
                return topic;
            }
        }

        return null;
    }
}
