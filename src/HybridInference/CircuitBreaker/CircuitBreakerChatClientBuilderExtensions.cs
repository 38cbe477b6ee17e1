using HybridInference.CircuitBreaker;
using HybridInference.Internal;

namespace HybridInference;

/// <summary>Adds the local circuit breaker to a chain.</summary>
public static class CircuitBreakerChatClientBuilderExtensions
{
    /// <summary>
    /// Adds the circuit breaker (Polly.Core) in front of the local backends: past
    /// <see cref="RoutingOptions.EscalationThreshold"/> failures over <see cref="RoutingOptions.SamplingWindow"/>, it
    /// opens for <see cref="RoutingOptions.BreakDuration"/> and the router sends routable traffic to the cloud.
    /// </summary>
    /// <param name="builder">The chain.</param>
    /// <param name="options">The thresholds; the defaults when <see langword="null"/>.</param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <remarks>Time comes from the <see cref="TimeProvider"/> in the services, so tests can drive it.</remarks>
    public static ChatClientChainBuilder UseCircuitBreaker(this ChatClientChainBuilder builder, RoutingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((inner, services) =>
        {
            var breaker = new CircuitBreakerChatClient(
                inner, options ?? new RoutingOptions(), ChainServices.Time(services), ChainServices.Logger<CircuitBreakerChatClient>(services));
            ChainServices.Metrics(services).ObserveLocalCircuit(breaker.State);
            return breaker;
        });
    }
}
