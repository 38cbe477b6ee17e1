using System.Text.RegularExpressions;
using HybridInference.Tokens;
using Microsoft.Extensions.AI;

namespace HybridInference.Classification;

/// <summary>
/// Builds a request's <see cref="TaskProfile"/>: category (explicit, or by rules), estimated prompt tokens,
/// whether JSON is required, and the data policy.
/// </summary>
/// <remarks>
/// The rules are compiled once: keywords into one vectorised matcher per category, patterns into one
/// non-backtracking expression per category (linear time on any input). Per request, the classifier reads the
/// user and system text once per category that has rules. Thread-safe.
/// </remarks>
internal sealed class TaskClassifier
{
    private static readonly TaskCategory[] MostDemandingFirst = [TaskCategory.SafetyCritical, TaskCategory.Complex, TaskCategory.Routine];

    private readonly ClassificationOptions _options;
    private readonly ITokenCounter _tokenCounter;
    private readonly PromptLimits? _limits;
    private readonly bool _conversationLengthRule;
    private readonly (TaskCategory Category, KeywordMatcher? Keywords, Regex? Pattern)[] _rules;

    /// <summary>The signs of code, reasoning and tagging; null while no local backend declares capabilities or a quantization (nothing is read).</summary>
    private readonly (ModelCapabilities Need, KeywordMatcher Keywords, Regex? Pattern)[]? _needs;

    /// <summary>Whether a local model declares <see cref="ModelCapabilities.Tools"/>: then offering tools does not make a task <see cref="ClassificationOptions.ToolsCategory"/>.</summary>
    private readonly bool _localTools;

    /// <summary>Initializes a new instance of the <see cref="TaskClassifier"/> class.</summary>
    /// <param name="options">The classification rules.</param>
    /// <param name="tokenCounter">The estimate of prompt tokens.</param>
    /// <param name="limits">
    /// The limits requests are routed on, the exact counters of the local backends and the output reserve; null for
    /// the estimate alone and no reserve (a chain built by hand).
    /// </param>
    /// <param name="historyFitting">
    /// Whether history fitting (<c>Local:History:Mode</c>) is on: then a long conversation is fitted to the local window,
    /// not made Complex, and <see cref="ClassificationOptions.ComplexConversationMessages"/> does not apply.
    /// </param>
    /// <param name="models">
    /// The local lane's models: while a backend declares capabilities or a quantization, the classifier records what each
    /// task needs of a model (<see cref="TaskProfile.RequiredCapabilities"/>), and tools offered do not make a task
    /// complex when a local model declares <see cref="ModelCapabilities.Tools"/>.
    /// </param>
    public TaskClassifier(ClassificationOptions options, ITokenCounter tokenCounter, PromptLimits? limits = null, bool historyFitting = false, Pools.LocalModelCatalog? models = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(tokenCounter);
        _options = options;
        _tokenCounter = tokenCounter;
        _limits = limits;
        _conversationLengthRule = !historyFitting && options.ComplexConversationMessages > 0;
        _rules = MostDemandingFirst
            .Select(category => Compile(category, options))
            .Where(rule => rule.Keywords is not null || rule.Pattern is not null)
            .ToArray();
        if (models is { Active: true })
        {
            _localTools = (models.Declared & ModelCapabilities.Tools) != 0;
            _needs =
            [
                (ModelCapabilities.Code, new KeywordMatcher(CapabilityRules.Code), new Regex(CapabilityRules.CodePattern, RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)),
                (ModelCapabilities.Reasoning, new KeywordMatcher(CapabilityRules.Reasoning), null),
                (ModelCapabilities.Classification, new KeywordMatcher(CapabilityRules.Classification), null),
            ];
        }
    }

    /// <summary>Builds the request's profile on the estimate, or on a tokenizer's exact count near a limit; never asks a server.</summary>
    /// <param name="messages">The request's messages.</param>
    /// <param name="options">The request's options.</param>
    /// <returns>The profile.</returns>
    public TaskProfile Classify(IEnumerable<ChatMessage> messages, ChatOptions? options) => Classify(messages, options, out _);

    /// <summary>
    /// Builds the request's profile; when its estimate is near a limit and the local backend to count it has only its
    /// server's count, asks the server (bounded, falling back to the estimate). Completes synchronously, without
    /// allocating, whenever no server is asked.
    /// </summary>
    /// <param name="messages">The request's messages.</param>
    /// <param name="options">The request's options.</param>
    /// <param name="cancellationToken">The request's token.</param>
    /// <returns>The profile.</returns>
    public ValueTask<TaskProfile> ClassifyAsync(IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        var profile = Classify(messages, options, out var server);
        return server is null ? new ValueTask<TaskProfile>(profile) : CountOnServerAsync(profile, server, messages, options, cancellationToken);
    }

    private static async ValueTask<TaskProfile> CountOnServerAsync(
        TaskProfile profile, ServerTokenCount server, IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken) =>
        await server.TryCountAsync(messages, options, cancellationToken).ConfigureAwait(false) is { } counted
            ? profile with { EstimatedPromptTokens = counted, PromptTokensExact = true }
            : profile;

    private TaskProfile Classify(IEnumerable<ChatMessage> messages, ChatOptions? options, out ServerTokenCount? server)
    {
        ArgumentNullException.ThrowIfNull(messages);

        var tokens = _tokenCounter.CountPromptTokens(messages, options);
        var reserve = _limits?.DefaultOutputTokens ?? 0;
        var exact = false;
        server = null;
        if (_limits is not null && _limits.TryCountNearLimit(tokens, options?.MaxOutputTokens ?? reserve, messages, options, out var counted, out server))
        {
            (tokens, exact) = (counted, true);
        }

        var (category, source) = options.GetTaskCategory() is { } explicitCategory
            ? (explicitCategory, CategorySource.Explicit)
            : Categorize(messages, options);

        var json = options?.ResponseFormat is ChatResponseFormatJson;
        return new TaskProfile(
            category,
            source,
            tokens,
            options?.MaxOutputTokens,
            json,
            options.GetDataPolicy() ?? _options.DefaultDataPolicy)
        {
            PromptTokensExact = exact,
            DefaultOutputTokens = reserve,
            RequiredCapabilities = _needs is null ? ModelCapabilities.None : Needs(_needs, messages, options, json),
        };
    }

    private (TaskCategory, CategorySource) Categorize(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var best = ((TaskCategory, CategorySource)?)null;
        foreach (var rule in _rules)
        {
            if (MatchesText(rule.Keywords, rule.Pattern, messages, options))
            {
                best = (rule.Category, CategorySource.Rule);
                break; // Rules are ordered most demanding first.
            }
        }

        if (_options.ToolsCategory is { } toolsCategory && !_localTools && options?.Tools is { Count: > 0 } && (best is null || best.Value.Item1 < toolsCategory))
        {
            best = (toolsCategory, CategorySource.Tools);
        }

        if (_conversationLengthRule
            && (best is null || best.Value.Item1 < TaskCategory.Complex)
            && CountExceeds(messages, _options.ComplexConversationMessages))
        {
            best = (TaskCategory.Complex, CategorySource.ConversationLength);
        }

        return best ?? (_options.DefaultCategory, CategorySource.Default);
    }

    /// <summary>What the task needs of a local model: code, reasoning (structured extraction is reasoning), tagging, tools offered, images.</summary>
    private static ModelCapabilities Needs(
        (ModelCapabilities Need, KeywordMatcher Keywords, Regex? Pattern)[] signs, IEnumerable<ChatMessage> messages, ChatOptions? options, bool json)
    {
        var needs = json ? ModelCapabilities.Reasoning : ModelCapabilities.None;
        foreach (var (need, keywords, pattern) in signs)
        {
            if ((needs & need) == 0 && MatchesText(keywords, pattern, messages, options))
            {
                needs |= need;
            }
        }

        if (options?.Tools is { Count: > 0 })
        {
            needs |= ModelCapabilities.Tools;
        }

        foreach (var message in messages)
        {
            foreach (var content in message.Contents)
            {
                if (content is DataContent data ? data.HasTopLevelMediaType("image") : content is UriContent uri && uri.HasTopLevelMediaType("image"))
                {
                    return needs | ModelCapabilities.Vision;
                }
            }
        }

        return needs;
    }

    private static bool MatchesText(KeywordMatcher? keywords, Regex? pattern, IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        if (options?.Instructions is { } instructions && Matches(keywords, pattern, instructions))
        {
            return true;
        }

        // Indexed when the messages are a list (the usual case): no enumerator is allocated per rule.
        if (messages is IList<ChatMessage> list)
        {
            for (var i = 0; i < list.Count; i++)
            {
                if (MatchesText(keywords, pattern, list[i]))
                {
                    return true;
                }
            }

            return false;
        }

        foreach (var message in messages)
        {
            if (MatchesText(keywords, pattern, message))
            {
                return true;
            }
        }

        return false;
    }

    private static bool MatchesText(KeywordMatcher? keywords, Regex? pattern, ChatMessage message)
    {
        if (message.Role != ChatRole.User && message.Role != ChatRole.System)
        {
            return false;
        }

        var contents = message.Contents;
        for (var i = 0; i < contents.Count; i++)
        {
            if (contents[i] is TextContent text && Matches(keywords, pattern, text.Text))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Matches(KeywordMatcher? keywords, Regex? pattern, string text) =>
        (keywords is not null && keywords.Matches(text)) || (pattern is not null && pattern.IsMatch(text));

    private static bool CountExceeds(IEnumerable<ChatMessage> messages, int limit)
    {
        if (messages is IReadOnlyCollection<ChatMessage> collection)
        {
            return collection.Count > limit;
        }

        var count = 0;
        foreach (var _ in messages)
        {
            if (++count > limit)
            {
                return true;
            }
        }

        return false;
    }

    private static (TaskCategory Category, KeywordMatcher? Keywords, Regex? Pattern) Compile(TaskCategory category, ClassificationOptions options)
    {
        var keywords = new List<string>();
        var patterns = new List<string>();
        if (options.UseBuiltInRules)
        {
            keywords.AddRange(category switch
            {
                TaskCategory.SafetyCritical => BuiltInRules.SafetyCritical,
                TaskCategory.Complex => BuiltInRules.Complex,
                _ => [],
            });
        }

        foreach (var rule in options.Rules)
        {
            if (rule.Category == category)
            {
                keywords.AddRange(rule.Keywords);
                if (!string.IsNullOrWhiteSpace(rule.Pattern))
                {
                    patterns.Add(rule.Pattern);
                }
            }
        }

        var matcher = keywords.Count > 0 ? new KeywordMatcher(keywords) : null;
        var regex = patterns.Count > 0
            ? new Regex(
                string.Join('|', patterns.Select(p => $"(?:{p})")),
                RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.NonBacktracking)
            : null;
        return (category, matcher is { IsEmpty: false } ? matcher : null, regex);
    }
}
