namespace HybridInference;

/// <summary>
/// How the history of a request was fitted to the local window (<see cref="RouteOutcome.History"/>): sizes before and
/// after, and what summarizing it cost.
/// </summary>
public sealed class HistoryReduction
{
    /// <summary>Gets how the history was reduced: <see cref="HistoryMode.Trim"/>, <see cref="HistoryMode.Summarize"/>, or <see langword="null"/> for a reducer the user plugged in.</summary>
    public HistoryMode? Mode { get; init; }

    /// <summary>Gets a value indicating whether the reduced conversation fits the window and was sent; false when even the last turn alone does not fit (the request was then routed as it came).</summary>
    public required bool Fitted { get; init; }

    /// <summary>Gets the window the conversation was fitted to, in tokens (prompt and answer).</summary>
    public required int WindowTokens { get; init; }

    /// <summary>Gets the number of messages before the reduction.</summary>
    public required int MessagesBefore { get; init; }

    /// <summary>Gets the number of messages sent (a summary counts as one).</summary>
    public required int MessagesAfter { get; init; }

    /// <summary>Gets the prompt's tokens before the reduction, as the router counted them.</summary>
    public required int PromptTokensBefore { get; init; }

    /// <summary>Gets the prompt's tokens after the reduction, counted as the router counts near a limit (the exact count when a local backend has a tokenizer).</summary>
    public required int PromptTokensAfter { get; init; }

    /// <summary>Gets the number of turns (a user message and what follows it) left out of the messages sent, summarized or dropped.</summary>
    public required int TurnsRemoved { get; init; }

    /// <summary>Gets a value indicating whether the turns left out are replaced by a summary.</summary>
    public bool Summarized { get; init; }

    /// <summary>Gets a value indicating whether the summary came from the cache (a summary of the same earlier turns made for an earlier request), with no model call.</summary>
    public bool SummaryFromCache { get; init; }

    /// <summary>Gets the calls made to a local model to summarize, failed ones included.</summary>
    public int SummaryCalls { get; init; }

    /// <summary>Gets the input tokens of the summarizing calls, as the backends reported them.</summary>
    public long SummaryInputTokens { get; init; }

    /// <summary>Gets the output tokens of the summarizing calls, as the backends reported them.</summary>
    public long SummaryOutputTokens { get; init; }

    /// <summary>Gets what the summarizing calls cost in US dollars (local pricing); included in <see cref="RouteOutcome.CostUsd"/>.</summary>
    public double SummaryCostUsd { get; init; }
}
