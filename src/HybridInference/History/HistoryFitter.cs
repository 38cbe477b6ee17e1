using HybridInference.Telemetry;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace HybridInference.History;

/// <summary>
/// Reduces a conversation to a window with room for the answer: system messages and the latest turns kept, the older
/// turns dropped (trim) or replaced by a summary a local model writes (summarize), or reduced by a reducer the user
/// plugged in and then trimmed if that is not enough. Every candidate is counted the way the router counts near a
/// limit (the exact counter of the local backend, else the estimate), so what it returns fits by that count.
/// </summary>
/// <remarks>
/// A turn is a user message and what follows it (<see cref="ConversationTurns"/>): the last one is never left out, and a
/// tool call is never parted from its result. Summaries are cached by the hash of the turns they cover
/// (<see cref="SummaryCache"/>), and a new one is written from the longest cached one before it. Thread-safe.
/// </remarks>
internal sealed partial class HistoryFitter
{
    /// <summary>The key, in a summary message's additional properties, that marks it as one.</summary>
    public const string SummaryPropertyKey = "HybridInference.HistorySummary";

    /// <summary>The room kept for a summary message's own tokens (role, delimiters, lead-in) besides the summary's.</summary>
    private const int SummaryMessageOverhead = 16;

    private const string SummaryLeadIn = "Summary of the earlier conversation: ";

    private readonly HistoryOptions _options;
    private readonly IChatClient? _summarizer;
    private readonly IChatReducer? _reducer;
    private readonly ITokenCounter _counter;
    private readonly bool _exact;
    private readonly SummaryCache _cache;
    private readonly ILogger _logger;

    /// <summary>
    /// The local models a summary may be written by, best first, when the summarizer is a local pool whose backends declare
    /// capabilities or quantizations: summarizing is reasoning work (Q4_K_M or better, a code or tagging model last); null otherwise.
    /// </summary>
    private readonly Pools.ModelChoice? _summaryModels;

    /// <summary>Initializes a new instance of the <see cref="HistoryFitter"/> class.</summary>
    /// <param name="options">The mode, the summary's size and the turns a new summary keeps.</param>
    /// <param name="summarizer">The local model that writes summaries; required for <see cref="HistoryMode.Summarize"/>.</param>
    /// <param name="reducer">A reducer the user plugged in, used instead of the built-in modes; null for none.</param>
    /// <param name="exactCounter">The exact counter of the local backend the window is of; null to count by <paramref name="estimate"/>.</param>
    /// <param name="estimate">The estimate of prompt tokens.</param>
    /// <param name="cache">The summaries written so far.</param>
    /// <param name="logger">Where reductions are logged.</param>
    public HistoryFitter(
        HistoryOptions options, IChatClient? summarizer, IChatReducer? reducer, ITokenCounter? exactCounter, ITokenCounter estimate, SummaryCache cache, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(estimate);
        if (options.Mode == HistoryMode.Summarize && summarizer is null && reducer is null)
        {
            throw new ArgumentException("HybridInference:Local:History:Mode is Summarize, but no summarizing client (a local model) was given.", nameof(summarizer));
        }

        _options = options;
        _summarizer = summarizer;
        _summaryModels = summarizer?.GetService<Pools.LocalModelCatalog>() is { Active: true } models
            ? models.Choose(ModelCapabilities.Reasoning, TaskCategory.Routine)
            : null;
        _reducer = reducer;
        _counter = exactCounter ?? estimate;
        _exact = exactCounter is not null;
        _cache = cache;
        _logger = logger;
    }

    /// <summary>Gets the summaries kept.</summary>
    public SummaryCache Cache => _cache;

    /// <summary>Fits a conversation to <paramref name="window"/> tokens, the request's answer included.</summary>
    /// <param name="messages">The conversation.</param>
    /// <param name="options">The request's options (instructions and tools count too).</param>
    /// <param name="profile">The request's profile: its size, output and data policy.</param>
    /// <param name="window">The window to fit: prompt plus the request's output (or the reserve).</param>
    /// <param name="cancellationToken">The request's token.</param>
    /// <returns>The messages to send and their count, or no messages when even the last turn alone does not fit; the reduction either way.</returns>
    public async Task<HistoryFit> FitAsync(IEnumerable<ChatMessage> messages, ChatOptions? options, TaskProfile profile, int window, CancellationToken cancellationToken)
    {
        var original = messages as IList<ChatMessage> ?? [.. messages];
        var run = new Run(this, options, profile, window);
        var turns = ConversationTurns.Of(original);
        List<ChatMessage>? fitted = null;
        HistoryMode? mode = _options.Mode;
        if (_reducer is not null)
        {
            mode = null;
            fitted = await ReduceWithPluggedAsync(original, turns, run, cancellationToken).ConfigureAwait(false);
            mode = run.FellBackToTrim ? HistoryMode.Trim : null;
        }
        else if (_options.Mode == HistoryMode.Summarize)
        {
            fitted = await SummarizeAsync(turns, run, cancellationToken).ConfigureAwait(false);
            mode = run.Summarized ? HistoryMode.Summarize : HistoryMode.Trim;
        }

        fitted ??= Trim(turns, run);
        var after = fitted is null ? profile.EstimatedPromptTokens : _counter.CountPromptTokens(fitted, options);
        var reduction = new HistoryReduction
        {
            Mode = mode,
            Fitted = fitted is not null,
            WindowTokens = window,
            MessagesBefore = original.Count,
            MessagesAfter = fitted?.Count ?? original.Count,
            PromptTokensBefore = profile.EstimatedPromptTokens,
            PromptTokensAfter = after,
            TurnsRemoved = fitted is null ? 0 : run.TurnsRemoved,
            Summarized = fitted is not null && run.Summarized,
            SummaryFromCache = fitted is not null && run.Summarized && run.FromCache,
            SummaryCalls = run.Calls,
            SummaryInputTokens = run.InputTokens,
            SummaryOutputTokens = run.OutputTokens,
            SummaryCostUsd = run.CostUsd,
        };

        if (fitted is null)
        {
            Log.HistoryDoesNotFit(_logger, original.Count, profile.EstimatedPromptTokens, window);
        }
        else
        {
            Log.HistoryFitted(_logger, original.Count, profile.EstimatedPromptTokens, window, HybridInferenceTelemetry.ToTag(mode), after, run.TurnsRemoved, run.Calls);
        }

        return new HistoryFit(fitted, after, _exact, reduction);
    }

    /// <summary>
    /// Fits a request's conversation to <paramref name="window"/> and writes what was done to its state: the reduction
    /// (also counted in the metrics), and, when it was reduced, the reduced prompt's size on its profile.
    /// </summary>
    /// <returns>The messages to send: the reduced conversation, or <paramref name="messages"/> when even the last turn alone does not fit.</returns>
    public async Task<IEnumerable<ChatMessage>> FitRequestAsync(
        IEnumerable<ChatMessage> messages, ChatOptions options, Internal.RequestState state, TaskProfile profile, int window, HybridInferenceMetrics metrics, CancellationToken cancellationToken)
    {
        var fit = await FitAsync(messages, options, profile, window, cancellationToken).ConfigureAwait(false);
        state.History = fit.Reduction;
        metrics.RecordHistoryReduction(fit.Reduction);
        if (fit.Messages is null)
        {
            return messages;
        }

        state.Profile = profile with { EstimatedPromptTokens = fit.PromptTokens, PromptTokensExact = fit.Exact };
        return fit.Messages;
    }

    /// <summary>Leaves out the fewest oldest turns that make the rest fit; null when even the last turn alone does not.</summary>
    private static List<ChatMessage>? Trim(ConversationTurns turns, Run run)
    {
        var firstKept = run.FewestToLeaveOut(turns, 1, summary: null, reserve: 0);
        if (firstKept < 0)
        {
            return null;
        }

        run.TurnsRemoved = firstKept;
        return turns.Keep(firstKept, null);
    }

    /// <summary>The plugged reducer's result when it fits (trimmed further when it does not); the built-in trim when it left out the last user message.</summary>
    private async Task<List<ChatMessage>?> ReduceWithPluggedAsync(IList<ChatMessage> original, ConversationTurns turns, Run run, CancellationToken cancellationToken)
    {
        var reduced = new List<ChatMessage>(await _reducer!.ReduceAsync(original, cancellationToken).ConfigureAwait(false));
        if (LastUserMessage(original) is { } last && !reduced.Contains(last))
        {
            Log.HistoryReducerDroppedLastTurn(_logger, _reducer.GetType().Name);
            run.FellBackToTrim = true;
            return null;
        }

        var reducedTurns = ConversationTurns.Of(reduced);
        run.TurnsRemoved = Math.Max(0, turns.Count - reducedTurns.Count);
        if (run.Fits(reduced, reserve: 0))
        {
            return reduced;
        }

        var firstKept = run.FewestToLeaveOut(reducedTurns, 1, summary: null, reserve: 0);
        if (firstKept < 0)
        {
            return null;
        }

        run.TurnsRemoved += firstKept;
        return reducedTurns.Keep(firstKept, null);
    }

    private static ChatMessage? LastUserMessage(IList<ChatMessage> messages)
    {
        for (var i = messages.Count - 1; i >= 0; i--)
        {
            if (messages[i].Role == ChatRole.User)
            {
                return messages[i];
            }
        }

        return null;
    }

    /// <summary>A summary message: the assistant's, marked as a summary, and local-only when the request is.</summary>
    private static ChatMessage SummaryMessage(string summary, TaskProfile profile)
    {
        var message = new ChatMessage(ChatRole.Assistant, SummaryLeadIn + summary)
        {
            AdditionalProperties = new() { [SummaryPropertyKey] = true },
        };

        if (profile.DataPolicy == DataPolicy.LocalOnly)
        {
            ChatMessageDataPolicyExtensions.MarkLocalOnly(message);
        }

        return message;
    }
}

/// <summary>A conversation fitted to a window: the messages to send (null when it does not fit), their count, and the reduction.</summary>
/// <param name="Messages">The messages to send; null when even the last turn alone does not fit.</param>
/// <param name="PromptTokens">The count of <paramref name="Messages"/> (or the request's size when null).</param>
/// <param name="Exact">Whether <paramref name="PromptTokens"/> is a tokenizer's exact count.</param>
/// <param name="Reduction">What was done, for the outcome and the metrics.</param>
internal readonly record struct HistoryFit(List<ChatMessage>? Messages, int PromptTokens, bool Exact, HistoryReduction Reduction);
