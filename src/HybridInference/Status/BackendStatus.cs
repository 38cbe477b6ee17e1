namespace HybridInference;

/// <summary>One backend in a <see cref="HybridInferenceStatus"/>: its health, load, latency and recent results.</summary>
public sealed record BackendStatus
{
    /// <summary>Gets the backend's configured name.</summary>
    public required string Name { get; init; }

    /// <summary>Gets the backend's lane.</summary>
    public required BackendLane Lane { get; init; }

    /// <summary>Gets the backend's configured model, if any.</summary>
    public string? Model { get; init; }

    /// <summary>Gets whether the pool sends the backend requests.</summary>
    public required BackendHealth Health { get; init; }

    /// <summary>Gets the number of requests in flight.</summary>
    public required int InFlight { get; init; }

    /// <summary>Gets the requests waiting in the server's own queue at the last probe, for servers that report it (vLLM); 0 otherwise.</summary>
    public int ReportedQueue { get; init; }

    /// <summary>Gets the number of calls that succeeded or failed for the backend's own reasons, since start.</summary>
    public required long Calls { get; init; }

    /// <summary>Gets the share of the last 128 such calls that succeeded; null before the first.</summary>
    public double? SuccessRate { get; init; }

    /// <summary>Gets the moving average (EWMA) of successful calls' latency; null before the first.</summary>
    public TimeSpan? LatencyEwma { get; init; }

    /// <summary>Gets the 95th percentile latency of the last 128 successful calls; null before the first.</summary>
    public TimeSpan? LatencyP95 { get; init; }

    /// <summary>Gets the number of failures in a row, counted towards ejection.</summary>
    public required int ConsecutiveFailures { get; init; }

    /// <summary>
    /// Gets the last failure since the backend last recovered: its type and, for a backend failure, its kind and HTTP
    /// status. Never a message, a prompt or a key. <see langword="null"/> after a successful call or a passed health
    /// probe: a failure that is over is not the backend's state.
    /// </summary>
    public string? LastError { get; init; }

    /// <summary>Gets when <see cref="LastError"/> happened; <see langword="null"/> with it.</summary>
    public DateTimeOffset? LastErrorAt { get; init; }

    /// <summary>Gets when the backend's server was last probed; null when its client cannot probe or no probe has run yet.</summary>
    public DateTimeOffset? LastProbeAt { get; init; }

    /// <summary>Gets whether the last probe found the server ready.</summary>
    public bool? LastProbeHealthy { get; init; }
}
