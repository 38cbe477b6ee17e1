using HybridInference.Internal;

namespace HybridInference.Cost;

/// <summary>
/// Prices token usage from the configured price table, and the all-cloud baseline: what the same tokens would
/// cost on the cheapest configured cloud model.
/// </summary>
/// <remarks>Immutable after construction and thread-safe. Prices are looked up once per backend, not per request.</remarks>
internal sealed class CostCalculator
{
    private const double PerMillion = 1_000_000d;

    private readonly Dictionary<string, ModelPrice> _prices;
    private readonly LocalCostOptions _localCost;
    private readonly ModelPrice[] _cloudPrices;

    public CostCalculator(HybridInferenceOptions options, IEnumerable<BackendInfo> cloudBackends)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(cloudBackends);

        _prices = new Dictionary<string, ModelPrice>(options.Pricing, StringComparer.OrdinalIgnoreCase);
        _localCost = options.LocalCost;
        _cloudPrices = cloudBackends
            .Select(FindPrice)
            .OfType<ModelPrice>()
            .Distinct()
            .ToArray();
    }

    /// <summary>Gets a value indicating whether any cloud model has a price, so that a baseline can be computed.</summary>
    public bool HasCloudBaseline => _cloudPrices.Length > 0;

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

    /// <summary>Computes what the given tokens would cost on the cheapest configured cloud model.</summary>
    /// <returns>The cost in US dollars, or 0 when no cloud model is priced.</returns>
    public double CloudBaseline(long inputTokens, long outputTokens)
    {
        if (_cloudPrices.Length == 0)
        {
            return 0d;
        }

        var cheapest = double.MaxValue;
        foreach (var price in _cloudPrices)
        {
            cheapest = Math.Min(cheapest, TokenCost(price.InputPerMillionTokens, price.OutputPerMillionTokens, inputTokens, outputTokens));
        }

        return cheapest;
    }

    private static double TokenCost(double inputPerMillion, double outputPerMillion, long inputTokens, long outputTokens) =>
        ((inputTokens * inputPerMillion) + (outputTokens * outputPerMillion)) / PerMillion;
}
