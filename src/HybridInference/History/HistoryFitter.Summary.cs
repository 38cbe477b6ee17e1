using System.Text;
using HybridInference.Telemetry;
using Microsoft.Extensions.AI;

namespace HybridInference.History;

/// <summary>Summarize mode: a cached summary when the rest then fits, else a new one written by the local model.</summary>
internal sealed partial class HistoryFitter
{
    /// <summary>
    /// The conversation with its older turns replaced by a summary; null when no summary makes it fit (or summarizing
    /// failed), so that the caller trims instead.
    /// </summary>
    private async Task<List<ChatMessage>?> SummarizeAsync(ConversationTurns turns, Run run, CancellationToken cancellationToken)
    {
        var count = turns.Count;
        if (count < 2)
        {
            return null;
        }

        // A summary written for an earlier request of this chat, if the turns after it fit with it: no call at all.
        for (var firstKept = 1; firstKept < count; firstKept++)
        {
            if (_cache.TryGet(turns.PrefixHash(firstKept), out var cached))
            {
                var candidate = turns.Keep(firstKept, SummaryMessage(cached, run.Profile));
                if (run.Fits(candidate, reserve: 0))
                {
                    (run.Summarized, run.FromCache, run.TurnsRemoved) = (true, true, firstKept);
                    return candidate;
                }
            }
        }

        // A new summary: keep at most KeepLastTurns turns, as many as fit with room for the summary.
        var reserve = _options.SummaryMaxTokens + SummaryMessageOverhead;
        var keepFrom = run.FewestToLeaveOut(turns, Math.Max(1, count - _options.KeepLastTurns), summary: null, reserve);
        if (keepFrom < 0)
        {
            return null;
        }

        string summary;
        try
        {
            summary = await SummaryOfAsync(turns, keepFrom, run, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            Log.HistorySummaryFailed(_logger, ex.GetType().Name);
            return null;
        }

        // Counted by the same counter as the window: a summary that came out longer than its room costs kept turns.
        var message = SummaryMessage(summary, run.Profile);
        var firstFitting = run.FewestToLeaveOut(turns, keepFrom, message, reserve: 0);
        if (firstFitting < 0)
        {
            return null;
        }

        (run.Summarized, run.TurnsRemoved) = (true, firstFitting);
        return turns.Keep(firstFitting, message);
    }

    /// <summary>
    /// The summary of the turns before <paramref name="end"/>: from the longest cached summary of an earlier part, the
    /// turns after it added chunk by chunk (as many as fit the window per call); each step is cached.
    /// </summary>
    private async Task<string> SummaryOfAsync(ConversationTurns turns, int end, Run run, CancellationToken cancellationToken)
    {
        string? summary = null;
        var from = 0;
        for (var covered = end; covered >= 1; covered--)
        {
            if (_cache.TryGet(turns.PrefixHash(covered), out var cached))
            {
                (summary, from) = (cached, covered);
                break;
            }
        }

        while (from < end)
        {
            var to = from + 1;
            var prompt = SummarizerPrompt(turns, summary, from, to);
            if (!run.SummarizerFits(prompt, _options.SummaryMaxTokens))
            {
                // One turn too long to summarize within the window: it is left out of the summary.
                from = to;
                summary ??= string.Empty;
                _cache.Add(turns.PrefixHash(from), summary);
                continue;
            }

            while (to < end && SummarizerPrompt(turns, summary, from, to + 1) is var longer && run.SummarizerFits(longer, _options.SummaryMaxTokens))
            {
                (prompt, to) = (longer, to + 1);
            }

            summary = await run.SummarizeAsync(_summarizer!, prompt, _options.SummaryMaxTokens, cancellationToken).ConfigureAwait(false);
            _cache.Add(turns.PrefixHash(to), summary);
            from = to;
        }

        return summary ?? string.Empty;
    }

    /// <summary>What the summarizer is sent: the instruction, the summary so far, and the turns to add as a transcript.</summary>
    private List<ChatMessage> SummarizerPrompt(ConversationTurns turns, string? summary, int from, int to)
    {
        var text = new StringBuilder();
        if (!string.IsNullOrEmpty(summary))
        {
            text.Append("Summary so far:\n").Append(summary).Append("\n\n");
        }

        text.Append("Conversation to add:\n");
        for (var turn = from; turn < to; turn++)
        {
            turns.Transcribe(turn, text);
        }

        return
        [
            new ChatMessage(ChatRole.System, string.Format(
                System.Globalization.CultureInfo.InvariantCulture,
                "You condense conversations. Write one summary, at most {0} tokens, of the summary so far (if given) and the conversation to add. "
                + "Keep the facts, names, numbers, decisions and open questions of both the user and the assistant; add nothing that is not there. Write only the summary.",
                _options.SummaryMaxTokens)),
            new ChatMessage(ChatRole.User, text.ToString()),
        ];
    }
}
