using HybridInference.Internal;
using HybridInference.Telemetry;
using Microsoft.Extensions.Logging;

namespace HybridInference.Pools;

/// <summary>
/// Probes a pool's backends on a timer (<see cref="TimeProvider"/>): every backend whose client implements
/// <see cref="IBackendHealthProbe"/> is asked, in parallel, whether its server is ready, and its
/// <see cref="BackendState"/> records the answer. The first round starts at once (a server down at start-up is found
/// before the first request gets to it), then one every interval. A passed probe is published on the lane's
/// <see cref="Signal"/>. A probe never spends tokens. Rounds never overlap.
/// </summary>
internal sealed class BackendHealthMonitor : IDisposable
{
    private volatile (BackendChatClient Backend, IBackendHealthProbe Probe)[] _probes;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger _logger;
    private readonly LaneContextWindows? _windows;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ITimer _timer;
    private int _running;
    private int _disposed;

    private BackendHealthMonitor((BackendChatClient, IBackendHealthProbe)[] probes, TimeSpan interval, TimeProvider timeProvider, ILogger logger, LaneContextWindows? windows)
    {
        _probes = probes;
        _windows = windows;
        _timeProvider = timeProvider;
        _logger = logger;
        _timer = timeProvider.CreateTimer(static state => ((BackendHealthMonitor)state!).OnTimer(), this, TimeSpan.Zero, interval);
    }

    /// <summary>Gets what the lane's probes said, for the lane's circuit breaker to watch (this monitor is its only writer).</summary>
    public LaneHealthSignal Signal { get; } = new();

    /// <summary>Gets the last round of probes, so that tests can wait for it.</summary>
    public Task LastRound { get; private set; } = Task.CompletedTask;

    /// <summary>Starts probing the backends that can be probed; null when none can.</summary>
    /// <param name="backends">The pool's backends.</param>
    /// <param name="interval">How often.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="logger">Where failed probes are logged.</param>
    /// <param name="windows">Where the context windows the servers report go (<see cref="HealthProbeData.ContextWindow"/>).</param>
    public static BackendHealthMonitor? Start(IReadOnlyList<BackendChatClient> backends, TimeSpan interval, TimeProvider timeProvider, ILogger logger, LaneContextWindows? windows = null)
    {
        var probes = ProbesOf(backends);
        return probes.Length == 0 ? null : new BackendHealthMonitor(probes, interval, timeProvider, logger, windows);
    }

    /// <summary>
    /// Makes <paramref name="backends"/> the ones probed (a discovered backend's members changed): those new to the
    /// monitor are probed at once, so that a new member's health and queue are known before its first round.
    /// </summary>
    /// <param name="backends">The pool's backends now.</param>
    /// <returns>The probes of the new members (tests wait for them).</returns>
    public Task SetBackends(IReadOnlyList<BackendChatClient> backends)
    {
        var before = _probes;
        var probes = ProbesOf(backends);
        _probes = probes;
        if (Volatile.Read(ref _disposed) == 1)
        {
            return Task.CompletedTask;
        }

        List<Task> fresh = [];
        foreach (var (backend, probe) in probes)
        {
            if (Array.FindIndex(before, p => ReferenceEquals(p.Backend, backend)) < 0)
            {
                fresh.Add(ProbeAsync(backend, probe));
            }
        }

        return Task.WhenAll(fresh);
    }

    private static (BackendChatClient, IBackendHealthProbe)[] ProbesOf(IReadOnlyList<BackendChatClient> backends)
    {
        List<(BackendChatClient, IBackendHealthProbe)> probes = [];
        foreach (var backend in backends)
        {
            if (backend.GetService(typeof(IBackendHealthProbe)) is IBackendHealthProbe probe)
            {
                probes.Add((backend, probe));
            }
        }

        return [.. probes];
    }

    /// <summary>Runs one round of probes now.</summary>
    public Task ProbeAllAsync()
    {
        var current = _probes;
        var probes = new Task[current.Length];
        for (var i = 0; i < probes.Length; i++)
        {
            probes[i] = ProbeAsync(current[i].Backend, current[i].Probe);
        }

        return Task.WhenAll(probes);
    }

    /// <summary>Stops the probes; a round under way is cancelled. Safe to call more than once.</summary>
    /// <remarks>The cancellation source is cancelled, not disposed, so that a timer callback racing with this one cannot fail on it.</remarks>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _timer.Dispose();
        _stopping.Cancel();
    }

    private void OnTimer()
    {
        if (Volatile.Read(ref _disposed) == 1 || Interlocked.Exchange(ref _running, 1) == 1)
        {
            return;
        }

        LastRound = RunRoundAsync();
    }

    private async Task RunRoundAsync()
    {
        try
        {
            await ProbeAllAsync().ConfigureAwait(false);
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    private async Task ProbeAsync(BackendChatClient backend, IBackendHealthProbe probe)
    {
        using var timeout = new CancellationTokenSource(Defaults.HealthProbeTimeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, _stopping.Token);
        bool healthy;
        Exception? failure;
        int? queue = null;
        try
        {
            var result = await probe.CheckHealthAsync(linked.Token).ConfigureAwait(false);
            healthy = result.Status == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy;
            failure = result.Exception; // Its type and kind only reach the status; the description (the server's words) does not.
            queue = result.Data.TryGetValue(HealthProbeData.QueueDepth, out var depth) && depth is int waiting ? waiting
                : result.Data.TryGetValue(HealthProbeData.BusySlots, out var slots) && slots is int busy ? Math.Max(0, busy - backend.State.InFlight)
                : null;
            if (result.Data.TryGetValue(HealthProbeData.ContextWindow, out var reported) && reported is int window && window > 0)
            {
                _windows?.Report(backend.Info, window);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex)
        {
            // A probe that throws or times out says the server is not ready; its message stays out of the log.
            healthy = false;
            failure = ex;
        }

        var wasHealthy = backend.State.Health == BackendHealth.Healthy;
        backend.State.RecordProbe(healthy, failure, queue);
        if (healthy)
        {
            Signal.Passed();
        }

        if (wasHealthy && !healthy)
        {
            Log.ProbeFailed(_logger, backend.Info.Name, backend.Info.Lane);
        }
    }
}
