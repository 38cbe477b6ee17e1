using HybridInference.Internal;
using HybridInference.Telemetry;

namespace HybridInference.Pools;

/// <summary>
/// What a pool knows about one backend from the calls it made: requests in flight, latency (moving average and
/// p95), success rate over the last calls, failures in a row, and whether it is ejected or on probation.
/// </summary>
/// <remarks>
/// Thread-safe. Passive ejection: <c>FailuresBeforeEjection</c> failures in a row set the backend aside for
/// <c>EjectionDuration</c>; after that it is on probation, one request at a time, until a success returns it to
/// service or a failure ejects it again. All time comes from the <see cref="TimeProvider"/>.
/// </remarks>
internal sealed class BackendState(TimeProvider timeProvider, int failuresBeforeEjection, TimeSpan ejectionDuration)
{
    private readonly Lock _gate = new();
    private readonly double[] _latenciesMs = new double[Defaults.BackendStatusWindow];
    private readonly bool[] _outcomes = new bool[Defaults.BackendStatusWindow];
    private int _latencyCount;
    private int _outcomeCount;
    private long _calls;
    private double _ewmaMs = double.NaN;
    private int _inFlight;
    private int _consecutiveFailures;
    private long _ejectedUntilTicks;
    private bool _trialInFlight;
    private string? _lastError;
    private DateTimeOffset? _lastErrorAt;
    private DateTimeOffset? _lastProbeAt;
    private bool? _lastProbeHealthy;
    private int _reportedQueue;

    /// <summary>
    /// Gets or sets what is told when the backend is ejected (not again while it stays ejected): a discovered backend
    /// looks its name up early then. Called outside the state's lock, on the thread that recorded the failure.
    /// </summary>
    public Action? Ejected { get; set; }

    /// <summary>Gets the number of requests in flight.</summary>
    public int InFlight => Volatile.Read(ref _inFlight);

    /// <summary>Gets the requests waiting in the server's own queue at the last probe (0 when it reports none).</summary>
    public int ReportedQueue => Volatile.Read(ref _reportedQueue);

    /// <summary>Gets the moving average of successful calls' latency in milliseconds; <see cref="double.NaN"/> before the first.</summary>
    public double LatencyEwmaMs
    {
        get
        {
            lock (_gate)
            {
                return _ewmaMs;
            }
        }
    }

    /// <summary>Gets the backend's health now.</summary>
    public BackendHealth Health
    {
        get
        {
            var until = Volatile.Read(ref _ejectedUntilTicks);
            return until == 0 ? BackendHealth.Healthy
                : timeProvider.GetUtcNow().UtcTicks < until ? BackendHealth.Ejected
                : BackendHealth.Probation;
        }
    }

    /// <summary>Gets a value indicating whether a request could start now: not ejected, under its limit, and no trial already out on probation.</summary>
    public bool IsReady(int? maxConcurrentRequests) => Health switch
    {
        BackendHealth.Ejected => false,
        BackendHealth.Probation => !Volatile.Read(ref _trialInFlight) && InFlight < (maxConcurrentRequests ?? int.MaxValue),
        _ => InFlight < (maxConcurrentRequests ?? int.MaxValue),
    };

    /// <summary>Takes a slot for a request; on probation only one request (the trial) may be out.</summary>
    /// <param name="maxConcurrentRequests">The backend's limit, or null for none.</param>
    /// <param name="trial">Set when the request is the probation trial, which <see cref="Release"/> must be told.</param>
    /// <returns><see langword="false"/> when the backend is full or its trial is already out.</returns>
    public bool TryAcquire(int? maxConcurrentRequests, out bool trial)
    {
        trial = false;
        if (Health == BackendHealth.Probation)
        {
            lock (_gate)
            {
                if (_trialInFlight)
                {
                    return false;
                }

                _trialInFlight = trial = true;
            }
        }

        var limit = maxConcurrentRequests ?? int.MaxValue;
        while (true)
        {
            var current = Volatile.Read(ref _inFlight);
            if (current >= limit)
            {
                if (trial)
                {
                    Release(trial: true, started: false);
                }

                return false;
            }

            if (Interlocked.CompareExchange(ref _inFlight, current + 1, current) == current)
            {
                return true;
            }
        }
    }

    /// <summary>Gives back the slot <see cref="TryAcquire"/> took.</summary>
    public void Release(bool trial, bool started = true)
    {
        if (started)
        {
            Interlocked.Decrement(ref _inFlight);
        }

        if (trial)
        {
            lock (_gate)
            {
                _trialInFlight = false;
            }
        }
    }

    /// <summary>Records a successful call: it returns an ejected or probationary backend to service and clears the last error.</summary>
    public void RecordSuccess(TimeSpan latency)
    {
        var ms = latency.TotalMilliseconds;
        lock (_gate)
        {
            _ewmaMs = double.IsNaN(_ewmaMs) ? ms : (Defaults.LatencyEwmaAlpha * ms) + ((1 - Defaults.LatencyEwmaAlpha) * _ewmaMs);
            _latenciesMs[_latencyCount++ % _latenciesMs.Length] = ms;
            Record(success: true);
            _consecutiveFailures = 0;
            Volatile.Write(ref _ejectedUntilTicks, 0);

            // Recovered: an old failure is no longer the backend's state.
            _lastError = null;
            _lastErrorAt = null;
        }
    }

    /// <summary>Records a failed call.</summary>
    /// <param name="error">The failure; the status keeps only its type, kind and status code (<see cref="Log.Describe"/>), never its message.</param>
    /// <param name="countsAgainstHealth">Whether the failure says the backend is unwell (not the caller's cancellation, a bad request, a context-length rejection or a full backend).</param>
    public void RecordFailure(Exception error, bool countsAgainstHealth)
    {
        var now = timeProvider.GetUtcNow();
        var description = Log.Describe(error);
        var ejected = false;
        lock (_gate)
        {
            _lastError = description;
            _lastErrorAt = now;
            if (!countsAgainstHealth)
            {
                return;
            }

            Record(success: false);
            _consecutiveFailures++;
            var onProbation = Volatile.Read(ref _ejectedUntilTicks) != 0;
            if (onProbation || _consecutiveFailures >= failuresBeforeEjection)
            {
                ejected = Eject(now);
            }
        }

        if (ejected)
        {
            Ejected?.Invoke();
        }
    }

    /// <summary>Sets the backend aside until <paramref name="now"/> + the ejection duration; under the lock.</summary>
    /// <returns>Whether it was not ejected before (so <see cref="Ejected"/> is told).</returns>
    private bool Eject(DateTimeOffset now)
    {
        var wasEjected = Volatile.Read(ref _ejectedUntilTicks) > now.UtcTicks;
        Volatile.Write(ref _ejectedUntilTicks, (now + ejectionDuration).UtcTicks);
        return !wasEjected;
    }

    /// <summary>
    /// Records an active health probe: a failed one ejects the backend at once (the server said it is not ready); a
    /// passed one puts an ejected backend on probation, so that a real request can confirm it, and clears the last error.
    /// </summary>
    /// <param name="healthy">Whether the server said it is ready.</param>
    /// <param name="failure">
    /// Why a failed probe failed, when known: the status keeps only its type, kind and status code, never the probe's
    /// description or message (the server's words, which may quote a key).
    /// </param>
    /// <param name="queueDepth">The requests waiting in the server's own queue, when it reports them.</param>
    public void RecordProbe(bool healthy, Exception? failure = null, int? queueDepth = null)
    {
        var now = timeProvider.GetUtcNow();
        Volatile.Write(ref _reportedQueue, Math.Max(0, queueDepth ?? 0));
        var ejected = false;
        lock (_gate)
        {
            _lastProbeAt = now;
            _lastProbeHealthy = healthy;
            if (!healthy)
            {
                _lastError = failure is null ? "health probe: unhealthy" : $"health probe: {Log.Describe(failure)}";
                _lastErrorAt = now;
                ejected = Eject(now);
            }
            else
            {
                // The server says it is ready again: an old failure is no longer the backend's state.
                _lastError = null;
                _lastErrorAt = null;
                if (Volatile.Read(ref _ejectedUntilTicks) > now.UtcTicks)
                {
                    Volatile.Write(ref _ejectedUntilTicks, now.UtcTicks);
                }
            }
        }

        if (ejected)
        {
            Ejected?.Invoke();
        }
    }

    /// <summary>Copies the state into a status entry.</summary>
    public BackendStatus Snapshot(BackendInfo info)
    {
        lock (_gate)
        {
            var latencies = _latenciesMs.AsSpan(0, Math.Min(_latencyCount, _latenciesMs.Length)).ToArray();
            Array.Sort(latencies);
            var outcomes = Math.Min(_outcomeCount, _outcomes.Length);
            var successes = 0;
            for (var i = 0; i < outcomes; i++)
            {
                successes += _outcomes[i] ? 1 : 0;
            }

            return new BackendStatus
            {
                Name = info.Name,
                Lane = info.Lane,
                Model = info.Model,
                Health = Health,
                InFlight = InFlight,
                ReportedQueue = ReportedQueue,
                Calls = _calls,
                SuccessRate = outcomes == 0 ? null : (double)successes / outcomes,
                LatencyEwma = double.IsNaN(_ewmaMs) ? null : TimeSpan.FromMilliseconds(_ewmaMs),
                LatencyP95 = latencies.Length == 0 ? null : TimeSpan.FromMilliseconds(latencies[(int)Math.Ceiling(0.95 * latencies.Length) - 1]),
                ConsecutiveFailures = _consecutiveFailures,
                LastError = _lastError,
                LastErrorAt = _lastErrorAt,
                LastProbeAt = _lastProbeAt,
                LastProbeHealthy = _lastProbeHealthy,
            };
        }
    }

    private void Record(bool success)
    {
        _outcomes[_outcomeCount++ % _outcomes.Length] = success;
        _calls++;
    }
}
