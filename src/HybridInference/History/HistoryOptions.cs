using System.ComponentModel.DataAnnotations;
using HybridInference.Internal;

namespace HybridInference;

/// <summary>
/// How a conversation too long for the local window is fitted to it before the router decides (configuration section
/// <c>HybridInference:Local:History</c>): instead of going to the cloud for its size alone, or of being refused when it
/// is local-only, it is reduced to the local window with room for the answer.
/// </summary>
public sealed class HistoryOptions
{
    /// <summary>
    /// Gets or sets what is done with a conversation too long for the local window. Default <see cref="HistoryMode.Off"/>
    /// (as before history fitting). While it is not <see cref="HistoryMode.Off"/>, <c>Classification:ComplexConversationMessages</c>
    /// does not apply: a long conversation is fitted, not sent to the cloud for its length.
    /// </summary>
    public HistoryMode Mode { get; set; } = HistoryMode.Off;

    /// <summary>
    /// Gets or sets the most tokens a summary may take (<see cref="HistoryMode.Summarize"/>): the summarizing model is sent
    /// it as its output limit, and the window keeps room for it. Default 256; 16 to 65,536.
    /// </summary>
    [Range(Defaults.MinimumSummaryMaxTokens, Defaults.MaximumSummaryMaxTokens)]
    public int SummaryMaxTokens { get; set; } = Defaults.SummaryMaxTokens;

    /// <summary>
    /// Gets or sets how many of the latest turns (a user message and what follows it) a new summary leaves verbatim at
    /// most (<see cref="HistoryMode.Summarize"/>); fewer when they do not fit. Keeping fewer than fit leaves room to grow:
    /// the next turns reuse the cached summary instead of summarizing again. The last turn is always kept. Default 8; 1 to 1000.
    /// </summary>
    [Range(1, Defaults.MaximumKeepLastTurns)]
    public int KeepLastTurns { get; set; } = Defaults.KeepLastTurns;
}
