using Microsoft.Extensions.AI;
using HybridInference.Cost;
using HybridInference.Internal;

namespace HybridInference;

/// <summary>Adds the cost meter to a chain.</summary>
public static class CostMeterChatClientBuilderExtensions
{
    /// <summary>
    /// Adds the cost meter: it measures the whole request, records the task metrics and attaches the
    /// <see cref="RouteOutcome"/> to each response (and to the exception of a failed request); every
    /// <see cref="IRouteOutcomeListener"/> in the services hears of each finished request. Put it first (outermost).
    /// </summary>
    /// <param name="builder">The spine's pipeline.</param>
    /// <param name="requestTimeout">
    /// The most a whole request (every attempt, retry and escalation) may take before it is cancelled and fails with
    /// <see cref="TimeoutException"/>; null for no limit. Applies to <see cref="Microsoft.Extensions.AI.IChatClient.GetResponseAsync"/>.
    /// </param>
    /// <param name="captureMessageContent">
    /// Whether the request's span carries the prompt and the answer (<c>gen_ai.input.messages</c>,
    /// <c>gen_ai.output.messages</c>); off by default, as they hold users' data.
    /// </param>
    /// <returns><paramref name="builder"/>.</returns>
    public static ChatClientBuilder UseCostMeter(this ChatClientBuilder builder, TimeSpan? requestTimeout = null, bool captureMessageContent = false)
    {
        ArgumentNullException.ThrowIfNull(builder);
        if (requestTimeout is { } timeout)
        {
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(timeout, TimeSpan.Zero, nameof(requestTimeout));
        }

        return builder.Use((inner, services) => new CostMeterChatClient(
            inner,
            ChainServices.Metrics(services),
            ChainServices.Time(services),
            requestTimeout,
            ChainServices.OutcomeListeners(services),
            ChainServices.Logger<CostMeterChatClient>(services),
            captureMessageContent));
    }
}
