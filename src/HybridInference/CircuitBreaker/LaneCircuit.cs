using Polly.CircuitBreaker;

namespace HybridInference.CircuitBreaker;

/// <summary>
/// The state of one lane's circuit breaker, as the breaker writes it and the router reads it. Every read is pure:
/// it never moves the breaker nor the recovery ramp.
/// </summary>
internal sealed class LaneCircuit
{
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _recoveryRamp;
    private readonly long[] _failures = new long[Enum.GetValues<CircuitFailureReason>().Length];
    private long _openUntilTicks;
    private long _closedAtTicks;
    private volatile int _state;

    public LaneCircuit(BackendLane lane, TimeProvider timeProvider, TimeSpan recoveryRamp)
    {
        Lane = lane;
        _timeProvider = timeProvider;
        _recoveryRamp = recoveryRamp;
    }

    /// <summary>Gets the lane the breaker guards.</summary>
    public BackendLane Lane { get; }

    /// <summary>Gets Polly's view of the circuit.</summary>
    public CircuitBreakerStateProvider Polly { get; } = new();

    /// <summary>Gets the circuit's state, as the breaker's state-change callbacks last wrote it (a field read, no lock).</summary>
    public CircuitState State => (CircuitState)_state;

    /// <summary>Gets the failures counted since start, by reason.</summary>
    public IReadOnlyDictionary<CircuitFailureReason, long> Failures =>
        Enum.GetValues<CircuitFailureReason>().ToDictionary(r => r, r => Interlocked.Read(ref _failures[(int)r]));

    /// <summary>
    /// Gets a value indicating whether the breaker would reject a call now. Polly moves an open circuit to half-open
    /// only when a call arrives after the break, so the router must send one: once the break is over this is
    /// <see langword="false"/> although the state still reads <see cref="CircuitState.Open"/>.
    /// </summary>
    public bool IsRejecting => State switch
    {
        CircuitState.Isolated => true,
        CircuitState.Open => _timeProvider.GetUtcNow().UtcTicks < Volatile.Read(ref _openUntilTicks),
        _ => false,
    };

    /// <summary>
    /// Gets the share of routable traffic the lane takes now, from 0 to 1: 1 except during the recovery ramp after the
    /// circuit closed (<see cref="RoutingOptions.RecoveryRamp"/>, local lane only), over which it grows evenly from 0.
    /// </summary>
    public double Share
    {
        get
        {
            var closedAt = Volatile.Read(ref _closedAtTicks);
            if (closedAt == 0 || _recoveryRamp <= TimeSpan.Zero || State != CircuitState.Closed)
            {
                return 1;
            }

            var elapsed = _timeProvider.GetUtcNow().UtcTicks - closedAt;
            return elapsed >= _recoveryRamp.Ticks ? 1 : (double)elapsed / _recoveryRamp.Ticks;
        }
    }

    /// <summary>Records that the circuit opened for <paramref name="breakDuration"/>.</summary>
    internal void Opened(TimeSpan breakDuration)
    {
        Volatile.Write(ref _openUntilTicks, (_timeProvider.GetUtcNow() + breakDuration).UtcTicks);
        _state = (int)CircuitState.Open;
    }

    /// <summary>Records that the circuit closed: the recovery ramp starts.</summary>
    internal void Closed()
    {
        Volatile.Write(ref _closedAtTicks, _timeProvider.GetUtcNow().UtcTicks);
        _state = (int)CircuitState.Closed;
    }

    /// <summary>Records that the circuit let one trial call through.</summary>
    internal void HalfOpened() => _state = (int)CircuitState.HalfOpen;

    /// <summary>Counts a failure.</summary>
    internal void Count(CircuitFailureReason reason) => Interlocked.Increment(ref _failures[(int)reason]);
}
