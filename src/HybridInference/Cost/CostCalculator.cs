using HybridInference.Internal;
using HybridInference.Tokens;
using Microsoft.Extensions.AI;

namespace HybridInference.Cost;

/// <summary>
/// Prices token usage from the configured price table, and the all-cloud baseline: what the same answer would
/// cost on the cheapest configured cloud model, counted the way that model counts.
/// </summary>
/// <remarks>
/// Immutable after construction and thread-safe. Prices and the cloud models' exact counters are looked up once per
/// backend, not per request. The baseline is priced on the cloud provider's reported usage when the answer came from
/// the cloud; otherwise on the priced cloud model's tokenizer count of the prompt and the answer (its
/// <see cref="ITokenCounterProvider"/> counter, which caches per message), or, without one, on the estimate. Nothing
/// is counted when no cloud model is priced.
/// </remarks>
internal sealed partial class CostCalculator
{
    private const double PerMillion = 1_000_000d;

    private readonly Dictionary<string, ModelPrice> _prices;
    private readonly LocalCostOptions _localCost;
    private readonly CloudPrice[] _cloudPrices;

    /// <summary>Initializes a new instance of the <see cref="CostCalculator"/> class.</summary>
    /// <param name="options">The price table and the local cost.</param>
    /// <param name="cloudBackends">The cloud backends the baseline may price.</param>
    /// <param name="tokenizers">The exact counters of the cloud backends, if any are registered.</param>
    public CostCalculator(HybridInferenceOptions options, IEnumerable<BackendInfo> cloudBackends, ITokenCounterProvider? tokenizers = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(cloudBackends);

        _prices = new Dictionary<string, ModelPrice>(options.Pricing, StringComparer.OrdinalIgnoreCase);
        _localCost = options.LocalCost;
        var prices = new List<CloudPrice>();
        foreach (var backend in cloudBackends)
        {
            if (FindPrice(backend) is not { } price)
            {
                continue;
            }

            var counter = tokenizers is not null && tokenizers.TryGetExactCounter(backend.Name, out var exact) ? exact : null;
            if (!prices.Exists(p => ReferenceEquals(p.Price, price) && ReferenceEquals(p.Counter, counter)))
            {
                prices.Add(new CloudPrice(price, counter is null ? null : new AnswerCounter(counter)));
            }
        }

        _cloudPrices = [.. prices];
        NeedsAnswerText = prices.Exists(p => p.Counter is not null);
    }

    /// <summary>Gets a value indicating whether any cloud model has a price, so that a baseline can be computed.</summary>
    public bool HasCloudBaseline => _cloudPrices.Length > 0;

    /// <summary>
    /// Gets a value indicating whether a priced cloud model has an exact counter, so that a streamed answer's text is
    /// worth gathering for the baseline (otherwise its estimate, summed per update, is all the baseline needs).
    /// </summary>
    public bool NeedsAnswerText { get; }

    /// <summary>Finds the price of a backend's configured model (or, failing that, of its name).</summary>
    public ModelPrice? FindPrice(BackendInfo backend) =>
        backend.Model is not null && _prices.TryGetValue(backend.Model, out var byModel) ? byModel
        : _prices.TryGetValue(backend.Name, out var byName) ? byName
        : null;

    /// <summary>Finds the price of a model a backend reported, when it differs from the configured one.</summary>
    public ModelPrice? FindPrice(string model) => _prices.TryGetValue(model, out var price) ? price : null;

    /// <summary>Computes the cost of one attempt.</summary>
    /// <param name="lane">The lane of the backend that made the attempt.</param>
    /// <param name="price">The model's price, if it has one.</param>
    /// <param name="inputTokens">The attempt's input tokens.</param>
    /// <param name="outputTokens">The attempt's output tokens.</param>
    /// <param name="duration">How long the attempt took (local GPU time).</param>
    /// <returns>The cost in US dollars.</returns>
    public double Cost(BackendLane lane, ModelPrice? price, long inputTokens, long outputTokens, TimeSpan duration)
    {
        if (price is not null)
        {
            return TokenCost(price.InputPerMillionTokens, price.OutputPerMillionTokens, inputTokens, outputTokens);
        }

        return lane == BackendLane.Local
            ? TokenCost(_localCost.InputPerMillionTokens, _localCost.OutputPerMillionTokens, inputTokens, outputTokens) + (duration.TotalSeconds * _localCost.PerGpuSecond)
            : 0d;
    }

    /// <summary>Computes what the given tokens (a cloud provider's reported usage) would cost on the cheapest configured cloud model.</summary>
    /// <param name="inputTokens">The prompt tokens.</param>
    /// <param name="outputTokens">The answer tokens.</param>
    /// <param name="exact">Whether the counts are exact (reported by the provider).</param>
    /// <returns>The baseline; a cost of 0 when no cloud model is priced.</returns>
    public BaselineCost CloudBaseline(long inputTokens, long outputTokens, bool exact = true)
    {
        if (_cloudPrices.Length == 0)
        {
            return default;
        }

        var cheapest = double.MaxValue;
        foreach (var cloud in _cloudPrices)
        {
            cheapest = Math.Min(cheapest, TokenCost(cloud.Price.InputPerMillionTokens, cloud.Price.OutputPerMillionTokens, inputTokens, outputTokens));
        }

        return new BaselineCost(cheapest, inputTokens, outputTokens, exact);
    }

    /// <summary>
    /// Computes what a prompt and its answer would cost on the cheapest configured cloud model, each model's counts
    /// from its exact counter where it has one, else the estimate.
    /// </summary>
    /// <param name="prompt">The prompt's messages.</param>
    /// <param name="options">The request's options (instructions, tools).</param>
    /// <param name="estimatedPrompt">The prompt's estimate when the classifier made one; null to estimate it here.</param>
    /// <param name="answer">The answer's messages; null when only its estimate is known (a stream whose text was not gathered).</param>
    /// <param name="estimatedAnswer">The answer's estimate.</param>
    /// <returns>The baseline of the cheapest model, with the counts it was priced on; a cost of 0 when no cloud model is priced.</returns>
    public BaselineCost CloudBaseline(IEnumerable<ChatMessage> prompt, ChatOptions? options, int? estimatedPrompt, IList<ChatMessage>? answer, int estimatedAnswer)
    {
        if (_cloudPrices.Length == 0)
        {
            return default;
        }

        BaselineCost best = default;
        var first = true;
        foreach (var cloud in _cloudPrices)
        {
            long input, output;
            bool exact;
            if (cloud.Counter is { } counter && answer is not null)
            {
                (input, output, exact) = (counter.CountPrompt(prompt, options), counter.CountAnswer(answer), true);
            }
            else
            {
                estimatedPrompt ??= Estimate.CountPromptTokens(prompt, options);
                (input, output, exact) = (estimatedPrompt.Value, estimatedAnswer, false);
            }

            var cost = TokenCost(cloud.Price.InputPerMillionTokens, cloud.Price.OutputPerMillionTokens, input, output);
            if (first || cost < best.CostUsd)
            {
                best = new BaselineCost(cost, input, output, exact);
                first = false;
            }
        }

        return best;
    }

    /// <summary>Estimates an answer's tokens: the text of its messages, with no per-message overhead (a completion has none).</summary>
    /// <param name="answer">The answer's messages.</param>
    /// <returns>The estimated tokens.</returns>
    public static int EstimateAnswer(IList<ChatMessage> answer)
    {
        var total = 0;
        for (var i = 0; i < answer.Count; i++)
        {
            var contents = answer[i].Contents;
            for (var j = 0; j < contents.Count; j++)
            {
                if (contents[j] is TextContent text)
                {
                    total += HeuristicTokenCounter.CountText(text.Text);
                }
            }
        }

        return total;
    }

    private static double TokenCost(double inputPerMillion, double outputPerMillion, long inputTokens, long outputTokens) =>
        ((inputTokens * inputPerMillion) + (outputTokens * outputPerMillion)) / PerMillion;
}
