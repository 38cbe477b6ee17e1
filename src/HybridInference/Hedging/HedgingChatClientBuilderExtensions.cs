using HybridInference.Hedging;
using HybridInference.Internal;
using Microsoft.Extensions.AI;

namespace HybridInference;

/// <summary>Adds hedging (a latency budget) to the local lane.</summary>
public static class HedgingChatClientBuilderExtensions
{
    /// <summary>
    /// Adds hedging at the head of the local lane (before the fallback): a routable local request with no answer after
    /// <paramref name="delay"/> starts on <paramref name="cloudLane"/> too, and the first answer wins (a stream's first
    /// token). A hedged request makes at most one cloud call: the hedge and the fallback's escalation share one claim.
    /// Local-only requests are never hedged.
    /// </summary>
    /// <param name="builder">The local lane's pipeline.</param>
    /// <param name="cloudLane">The cloud lane (the same instance the router gets). Not owned.</param>
    /// <param name="delay">How long a local answer may take before the cloud starts too (see <see cref="RoutingOptions.HedgeDelay"/>); more than zero.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static ChatClientBuilder UseHedging(this ChatClientBuilder builder, IChatClient cloudLane, TimeSpan delay)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(cloudLane);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(delay, TimeSpan.Zero);
        return builder.Use((inner, services) => new HedgingChatClient(
            inner, cloudLane, delay, ChainServices.Time(services), ChainServices.Metrics(services), ChainServices.Logger<HedgingChatClient>(services)));
    }
}
