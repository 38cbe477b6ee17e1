using HybridInference.Internal;
using Microsoft.Extensions.AI;

namespace HybridInference.History;

/// <summary>One fitting of one request: its window and counts, and what the summarizing calls cost.</summary>
internal sealed partial class HistoryFitter
{
    private sealed class Run(HistoryFitter owner, ChatOptions? options, TaskProfile profile, int window)
    {
        /// <summary>The prompt's room: the window less the request's output (or the reserve).</summary>
        private readonly long _room = (long)window - (profile.MaxOutputTokens ?? profile.DefaultOutputTokens);

        public TaskProfile Profile => profile;

        public bool Summarized { get; set; }

        public bool FromCache { get; set; }

        public bool FellBackToTrim { get; set; }

        public int TurnsRemoved { get; set; }

        public int Calls { get; private set; }

        public long InputTokens { get; private set; }

        public long OutputTokens { get; private set; }

        public double CostUsd { get; private set; }

        /// <summary>Whether the messages, with <paramref name="reserve"/> tokens more, fit the prompt's room by the fitter's count.</summary>
        public bool Fits(List<ChatMessage> messages, int reserve) => (long)owner._counter.CountPromptTokens(messages, options) + reserve <= _room;

        /// <summary>
        /// The first turn to keep, from <paramref name="lowest"/> on, that leaves out the fewest turns and fits (with the
        /// summary, if any, and <paramref name="reserve"/> tokens more); -1 when keeping the last turn alone does not fit.
        /// Found by bisection: keeping fewer turns never needs more tokens.
        /// </summary>
        public int FewestToLeaveOut(ConversationTurns turns, int lowest, ChatMessage? summary, int reserve)
        {
            var high = turns.Count - 1;
            if (lowest > high || !Fits(turns.Keep(high, summary), reserve))
            {
                return -1;
            }

            var low = lowest;
            while (low < high)
            {
                var middle = low + ((high - low) / 2);
                if (Fits(turns.Keep(middle, summary), reserve))
                {
                    high = middle;
                }
                else
                {
                    low = middle + 1;
                }
            }

            return low;
        }

        /// <summary>Whether a summarizer's prompt, with its output, fits the window.</summary>
        public bool SummarizerFits(List<ChatMessage> prompt, int maxOutputTokens) =>
            (long)owner._counter.CountPromptTokens(prompt, null) + maxOutputTokens <= window;

        /// <summary>
        /// Asks the summarizer, as a request of its own whose backend calls are logged apart from the request's (and added
        /// to its reduction): so a local pool records their tokens and cost, and its window check sees the summarizer's prompt.
        /// </summary>
        public async Task<string> SummarizeAsync(IChatClient summarizer, List<ChatMessage> prompt, int maxOutputTokens, CancellationToken cancellationToken)
        {
            var state = new RequestState
            {
                Profile = profile with
                {
                    EstimatedPromptTokens = owner._counter.CountPromptTokens(prompt, null),
                    MaxOutputTokens = maxOutputTokens,
                    RequiresJson = false,
                },
                LocalModels = owner._summaryModels,
            };

            var summaryOptions = new HybridChatOptions(new ChatOptions { MaxOutputTokens = maxOutputTokens }, state);
            ChatResponse? response = null;
            try
            {
                response = await summarizer.GetResponseAsync(prompt, summaryOptions, cancellationToken).ConfigureAwait(false);
                return response.Text.Trim();
            }
            finally
            {
                var attempts = state.Attempts.Fold(null);
                Calls += Math.Max(1, attempts.Attempts);
                if (attempts.Attempts > 0)
                {
                    (InputTokens, OutputTokens, CostUsd) = (InputTokens + attempts.InputTokens, OutputTokens + attempts.OutputTokens, CostUsd + attempts.CostUsd);
                }
                else if (response?.Usage is { } usage)
                {
                    (InputTokens, OutputTokens) = (InputTokens + (usage.InputTokenCount ?? 0), OutputTokens + (usage.OutputTokenCount ?? 0));
                }
            }
        }
    }
}
