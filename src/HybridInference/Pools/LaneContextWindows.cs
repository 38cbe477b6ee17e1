using HybridInference.Internal;
using HybridInference.Telemetry;
using Microsoft.Extensions.Logging;

namespace HybridInference.Pools;

/// <summary>
/// The context windows of one lane's backends as the router and the default routing policy read them: the largest
/// known window (configured, or reported by a server's health probe), kept current as servers report theirs, so that
/// reading it costs one field read on the hot path.
/// </summary>
/// <remarks>Thread-safe: probes write, requests read.</remarks>
internal sealed class LaneContextWindows
{
    private volatile BackendInfo[] _backends;
    private readonly ILogger _logger;
    private volatile int _largest;
    private int _warnedLimitAt;

    /// <summary>Initializes a new instance of the <see cref="LaneContextWindows"/> class.</summary>
    /// <param name="backends">The lane's backends.</param>
    /// <param name="logger">Where disagreements are logged.</param>
    public LaneContextWindows(IReadOnlyList<BackendInfo> backends, ILogger logger)
    {
        _backends = [.. backends];
        _logger = logger;
        _largest = LargestOf(_backends);
    }

    /// <summary>Gets the largest known window of the lane's backends, null while none is known.</summary>
    public int? Largest => _largest is var largest and > 0 ? largest : null;

    /// <summary>
    /// Gets or sets the configured <c>Routing:LocalContextLimit</c>, when there is one: when servers report windows that
    /// leave the largest one below it, a warning is logged (at start the validator refuses such a limit against the
    /// configured windows; a reported window is known only at run time).
    /// </summary>
    public int? ConfiguredLimit { get; set; }

    /// <summary>Makes <paramref name="backends"/> the lane's backends (a discovered backend's members changed) and recomputes the largest window.</summary>
    /// <param name="backends">The lane's backends now.</param>
    public void SetBackends(IReadOnlyList<BackendInfo> backends)
    {
        BackendInfo[] copy = [.. backends];
        _backends = copy;
        _largest = LargestOf(copy);
    }

    /// <summary>Records the window a backend's server reported; logs when it changes what the backend uses.</summary>
    /// <param name="backend">The backend.</param>
    /// <param name="reported">The server's window.</param>
    public void Report(BackendInfo backend, int reported)
    {
        if (reported <= 0 || !backend.RecordReportedWindow(reported))
        {
            return;
        }

        var window = backend.Window ?? reported;
        if (backend.ContextWindow is { } configured && configured != reported)
        {
            Log.ContextWindowDisagrees(_logger, backend.Name, configured, reported, window);
        }
        else
        {
            Log.ContextWindowReported(_logger, backend.Name, reported, window);
        }

        var largest = LargestOf(_backends);
        _largest = largest;
        if (ConfiguredLimit is { } limit && limit > largest && Interlocked.Exchange(ref _warnedLimitAt, largest) != largest)
        {
            Log.LocalContextLimitAboveWindows(_logger, limit, largest);
        }
    }

    private static int LargestOf(BackendInfo[] backends)
    {
        var largest = 0;
        foreach (var backend in backends)
        {
            largest = Math.Max(largest, backend.Window ?? 0);
        }

        return largest;
    }
}
