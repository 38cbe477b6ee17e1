using HybridInference.Pools;
using Polly.CircuitBreaker;

namespace HybridInference.CircuitBreaker;

/// <summary>
/// The state of one lane's circuit breaker, as the breaker writes it and the router reads it. Every read is pure:
/// it never moves the breaker nor the recovery ramp.
/// </summary>
internal sealed class LaneCircuit
{
    private readonly LaneClock _clock;
    private readonly TimeSpan _recoveryRamp;
    private readonly LaneHealthSignal? _health;
    private readonly long[] _failures = new long[Enum.GetValues<CircuitFailureReason>().Length];
    private long _openUntilTicks;
    private long _closedAtTicks;
    private long _passesAtOpen;
    private volatile int _state;

    public LaneCircuit(BackendLane lane, LaneClock clock, TimeSpan recoveryRamp, LaneHealthSignal? health = null)
    {
        Lane = lane;
        _clock = clock;
        _recoveryRamp = recoveryRamp;
        _health = health;
    }

    /// <summary>Gets the lane the breaker guards.</summary>
    public BackendLane Lane { get; }

    /// <summary>Gets Polly's view of the circuit (the lane's breaker, which either trip opens).</summary>
    public CircuitBreakerStateProvider Polly { get; } = new();

    /// <summary>Gets the circuit's state, as the breaker's state-change callbacks last wrote it (a field read, no lock).</summary>
    public CircuitState State => (CircuitState)_state;

    /// <summary>Gets the failures counted since start, by reason.</summary>
    public IReadOnlyDictionary<CircuitFailureReason, long> Failures =>
        Enum.GetValues<CircuitFailureReason>().ToDictionary(r => r, r => Interlocked.Read(ref _failures[(int)r]));

    /// <summary>
    /// Gets a value indicating whether the breaker would reject a call now. Polly moves an open circuit to half-open
    /// only when a call arrives after the break, so the router must send one: once the break is over this is
    /// <see langword="false"/> although the state still reads <see cref="CircuitState.Open"/>. The break is over when
    /// <see cref="RoutingOptions.BreakDuration"/> has passed, or as soon as a health probe of a backend in the lane
    /// passed after the circuit opened.
    /// </summary>
    public bool IsRejecting => State switch
    {
        CircuitState.Isolated => true,
        CircuitState.Open => _clock.GetUtcNow().UtcTicks < Volatile.Read(ref _openUntilTicks) && !ProbePassedSinceOpened,
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

            var elapsed = _clock.GetUtcNow().UtcTicks - closedAt;
            return elapsed >= _recoveryRamp.Ticks ? 1 : (double)elapsed / _recoveryRamp.Ticks;
        }
    }

    /// <summary>Gets how many health probes of the lane's backends have passed since the pool was built (0 when it has no probes).</summary>
    public long ProbePasses => _health?.Passes ?? 0;

    /// <summary>Gets a value indicating whether a health probe of the lane passed after the circuit last opened.</summary>
    private bool ProbePassedSinceOpened => _health is { } health && health.Passes > Interlocked.Read(ref _passesAtOpen);

    /// <summary>
    /// Ends an open circuit's break when a probe passed since it opened: the breaker's clock moves to the end of the
    /// break, so Polly lets the next call through as the half-open trial. Called by the breaker before a call, never
    /// by a read.
    /// </summary>
    /// <returns>Whether this call ended the break.</returns>
    internal bool EndBreakIfProbePassed() =>
        State == CircuitState.Open && ProbePassedSinceOpened && _clock.MoveTo(Volatile.Read(ref _openUntilTicks));

    /// <summary>Records that the circuit opened for <paramref name="breakDuration"/>.</summary>
    internal void Opened(TimeSpan breakDuration)
    {
        // The probes that passed before the circuit opened do not end this break.
        Interlocked.Exchange(ref _passesAtOpen, _health?.Passes ?? 0);
        Volatile.Write(ref _openUntilTicks, (_clock.GetUtcNow() + breakDuration).UtcTicks);
        _state = (int)CircuitState.Open;
    }

    /// <summary>
    /// Records that the failure-ratio breaker inside the lane's opened for <paramref name="breakDuration"/>: the lane's
    /// break lasts at least as long (it opens on the same failure, or it is open already and its trial would be refused).
    /// </summary>
    internal void RatioOpened(TimeSpan breakDuration)
    {
        var until = (_clock.GetUtcNow() + breakDuration).UtcTicks;
        var seen = Interlocked.Read(ref _openUntilTicks);
        while (until > seen)
        {
            var previous = Interlocked.CompareExchange(ref _openUntilTicks, until, seen);
            if (previous == seen)
            {
                return;
            }

            seen = previous;
        }
    }

    /// <summary>
    /// Records that the circuit was opened on another replica's decision (Polly's isolation): it rejects until that
    /// replica closes it or the breaker lets the isolation end.
    /// </summary>
    internal void Isolated() => _state = (int)CircuitState.Isolated;

    /// <summary>Records that the circuit closed: the recovery ramp starts.</summary>
    internal void Closed()
    {
        Volatile.Write(ref _closedAtTicks, _clock.GetUtcNow().UtcTicks);
        _state = (int)CircuitState.Closed;
    }

    /// <summary>Records that the circuit let one trial call through.</summary>
    internal void HalfOpened() => _state = (int)CircuitState.HalfOpen;

    /// <summary>Counts a failure.</summary>
    internal void Count(CircuitFailureReason reason) => Interlocked.Increment(ref _failures[(int)reason]);
}
