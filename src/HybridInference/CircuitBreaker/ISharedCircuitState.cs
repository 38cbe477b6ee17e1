namespace HybridInference;

/// <summary>
/// The lanes' breaker decisions shared by every replica of the app (<c>HybridInference.Redis</c> supplies it over
/// pub/sub). Registered in the services, it is joined by each lane's breaker
/// (<see cref="CircuitBreakerChatClientBuilderExtensions.UseCircuitBreaker"/>): each replica still counts its own
/// failures and decides for itself, publishes when its circuit opens or closes, and follows the others' decisions
/// (an opening holds its circuit open until the deciding replica closes it, or for twice the break it announced
/// when no replica closes nor reopens it).
/// </summary>
/// <remarks>
/// Implementations must be thread-safe and never block nor throw on the request path: publishing returns at once,
/// and a store that cannot be reached leaves each replica with its own breaker.
/// </remarks>
public interface ISharedCircuitState
{
    /// <summary>Tells the other replicas that this replica's breaker of <paramref name="lane"/> opened.</summary>
    /// <param name="lane">The lane.</param>
    /// <param name="breakDuration">How long the circuit stays open before its trial.</param>
    void PublishOpened(BackendLane lane, TimeSpan breakDuration);

    /// <summary>Tells the other replicas that this replica's breaker of <paramref name="lane"/> closed (its trial passed).</summary>
    /// <param name="lane">The lane.</param>
    void PublishClosed(BackendLane lane);

    /// <summary>
    /// Follows the other replicas' decisions on <paramref name="lane"/>'s breaker, including one taken before this
    /// replica started whose break is not over yet. Callbacks may run on any thread and must return quickly.
    /// </summary>
    /// <param name="lane">The lane.</param>
    /// <param name="opened">Called when another replica's circuit opened, with the time left of its break.</param>
    /// <param name="closed">Called when another replica's circuit closed.</param>
    /// <returns>The subscription; disposing it stops the callbacks.</returns>
    IDisposable Subscribe(BackendLane lane, Action<TimeSpan> opened, Action closed);
}
