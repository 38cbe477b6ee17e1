using HybridInference.Cost;
using HybridInference.Internal;

namespace HybridInference;

/// <summary>Adds the cost meter to a chain.</summary>
public static class CostMeterChatClientBuilderExtensions
{
    /// <summary>
    /// Adds the cost meter: it measures the whole request, records the task metrics and attaches the
    /// <see cref="RouteOutcome"/> to each response. Put it first (outermost).
    /// </summary>
    /// <param name="builder">The chain.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static ChatClientChainBuilder UseCostMeter(this ChatClientChainBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((inner, services) => new CostMeterChatClient(inner, ChainServices.Metrics(services), ChainServices.Time(services)));
    }
}
