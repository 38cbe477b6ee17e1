using HybridInference.CircuitBreaker;
using HybridInference.Internal;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace HybridInference;

/// <summary>Adds a lane's circuit breaker.</summary>
public static class CircuitBreakerChatClientBuilderExtensions
{
    /// <summary>
    /// Adds a circuit breaker (Polly.Core) to a lane: past <see cref="RoutingOptions.EscalationThreshold"/> failures
    /// (errors, timeouts, answers that failed JSON validation) over <see cref="RoutingOptions.SamplingWindow"/>, or after
    /// <see cref="RoutingOptions.FailuresBeforeBreak"/> failures in a row, it opens for
    /// <see cref="RoutingOptions.BreakDuration"/>, or until a health probe of a backend in the lane's pool (a pool built
    /// by <see cref="BackendPoolBuilder"/>, at the end of the lane) passes. The router reads its state: while the local breaker is
    /// open, routable traffic goes to the cloud; while the cloud breaker is open, cloud-preferred traffic that may run
    /// locally goes local.
    /// </summary>
    /// <param name="builder">The lane's pipeline.</param>
    /// <param name="options">The thresholds; the defaults when <see langword="null"/>.</param>
    /// <param name="lane">The lane guarded. Default <see cref="BackendLane.Local"/>; the recovery ramp applies to the local lane only.</param>
    /// <param name="configure">
    /// Changes the thresholds when the pipeline is built, the way <c>UseLogging</c>'s <c>configure</c> does: it runs on
    /// <paramref name="options"/> (or on new defaults) before the breaker is made. Optional.
    /// </param>
    /// <returns><paramref name="builder"/>.</returns>
    /// <remarks>
    /// Time comes from the <see cref="TimeProvider"/> in the services, so tests can drive it. With an
    /// <see cref="ISharedCircuitState"/> in the services, the breaker publishes its openings and closings to the app's
    /// other replicas and follows theirs; it still counts only its own failures.
    /// </remarks>
    public static ChatClientBuilder UseCircuitBreaker(this ChatClientBuilder builder, RoutingOptions? options = null, BackendLane lane = BackendLane.Local, Action<RoutingOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Use((inner, services) =>
        {
            var thresholds = options ?? new RoutingOptions();
            configure?.Invoke(thresholds);
            var breaker = new CircuitBreakerChatClient(
                inner, thresholds, ChainServices.Time(services), ChainServices.Logger<CircuitBreakerChatClient>(services), lane,
                services.GetService<ISharedCircuitState>());
            var metrics = ChainServices.Metrics(services);
            if (lane == BackendLane.Local)
            {
                metrics.ObserveLocalCircuit(breaker.Circuit.Polly);
            }
            else
            {
                metrics.ObserveCloudCircuit(breaker.Circuit.Polly);
            }

            return breaker;
        });
    }
}
