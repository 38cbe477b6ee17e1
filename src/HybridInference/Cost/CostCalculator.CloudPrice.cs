using HybridInference.Tokens;
using Microsoft.Extensions.AI;

namespace HybridInference.Cost;

/// <summary>The priced cloud models of the baseline, each with its exact counter.</summary>
internal sealed partial class CostCalculator
{
    /// <summary>The estimate the baseline falls back on, for a prompt the classifier did not estimate.</summary>
    private static readonly HeuristicTokenCounter Estimate = new();

    /// <summary>A priced cloud model and, where it has one, its exact counter.</summary>
    private sealed record CloudPrice(ModelPrice Price, AnswerCounter? Counter);

    /// <summary>
    /// Counts prompts and answers with one cloud model's exact counter. An answer is counted as the counter counts
    /// messages, less what the chat format adds around them (reply priming, per-message delimiters and role), which
    /// a completion's usage does not include: measured once here on empty assistant messages.
    /// </summary>
    private sealed class AnswerCounter
    {
        private readonly ITokenCounter _counter;
        private readonly int _priming;
        private readonly int _perMessage;

        public AnswerCounter(ITokenCounter counter)
        {
            _counter = counter;
            var one = counter.CountPromptTokens([new ChatMessage(ChatRole.Assistant, (string?)null)], null);
            var two = counter.CountPromptTokens([new ChatMessage(ChatRole.Assistant, (string?)null), new ChatMessage(ChatRole.Assistant, (string?)null)], null);
            _perMessage = two - one;
            _priming = one - _perMessage;
        }

        public int CountPrompt(IEnumerable<ChatMessage> prompt, ChatOptions? options) => _counter.CountPromptTokens(prompt, options);

        public int CountAnswer(IList<ChatMessage> answer) =>
            answer.Count == 0 ? 0 : Math.Max(0, _counter.CountPromptTokens(answer, null) - _priming - (answer.Count * _perMessage));
    }
}
