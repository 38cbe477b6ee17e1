namespace HybridInference.Internal;

/// <summary>What the chain knows about one configured backend: its name, lane, provider, model and limits.</summary>
/// <param name="Name">The backend's unique name.</param>
/// <param name="Lane">Local or cloud.</param>
/// <param name="Provider">The kind of server, as configured or as the client reports it.</param>
/// <param name="Model">The configured model, if any.</param>
/// <param name="ContextWindow">The model's context window in tokens, if configured (<see cref="Window"/> is the one in use).</param>
internal sealed record BackendInfo(string Name, BackendLane Lane, string Provider, string? Model, int? ContextWindow)
{
    /// <summary>The window in use (0 while none is known): the configured one, the server's, or the smaller of both.</summary>
    private volatile int _window = ContextWindow ?? 0;

    /// <summary>The window the server reported (0 until it has).</summary>
    private volatile int _reported;

    /// <summary>
    /// Gets the context window requests are checked against, null while none is known: the configured
    /// <see cref="ContextWindow"/>, else the one the server reported (<see cref="HealthProbeData.ContextWindow"/>), and
    /// the smaller of the two when both are known (a request the server cannot hold is never sent to it, and a limit
    /// the user set below the server's is kept). One field read: it is on the hot path.
    /// </summary>
    public int? Window => _window is var window and > 0 ? window : null;

    /// <summary>Gets the window the server last reported, null until it has.</summary>
    public int? ReportedWindow => _reported is var reported and > 0 ? reported : null;

    /// <summary>Records the window the server reported.</summary>
    /// <param name="reported">The server's window, at least 1.</param>
    /// <returns>Whether this changed what the server reported (the caller logs and recomputes the lane's largest window).</returns>
    public bool RecordReportedWindow(int reported)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(reported);
        if (Interlocked.Exchange(ref _reported, reported) == reported)
        {
            return false;
        }

        _window = ContextWindow is { } configured ? Math.Min(configured, reported) : reported;
        return true;
    }

    /// <summary>
    /// Gets the name of the configured backend this one belongs to: its own <see cref="Name"/>, or for a member of a
    /// discovered backend (<c>Discovery</c>), the configured name its members share (<c>vllm</c> for <c>vllm/10.0.0.5:8000</c>).
    /// Tokenizers, <c>ConfigureBackend</c> and settings are keyed on it.
    /// </summary>
    public string ConfiguredName { get; init; } = Name;

    /// <summary>Gets a value indicating whether the backend is a member of a discovered backend, whose membership changes at run time.</summary>
    public bool Discovered { get; init; }

    /// <summary>Gets what the backend's model is good for (<c>Capabilities</c>); none declared is a general chat model.</summary>
    public ModelCapabilities Capabilities { get; init; }

    /// <summary>Gets the backend's model's quantization (<c>Quantization</c>); <see cref="Pools.QuantizationLevel.Unknown"/> when not declared.</summary>
    public Pools.QuantizationLevel Quantization { get; init; }

    /// <summary>Gets the backend's share of traffic relative to its lane's other backends.</summary>
    public int Weight { get; init; } = Defaults.BackendWeight;

    /// <summary>Gets the most requests the backend may have in flight at once; null for no limit.</summary>
    public int? MaxConcurrentRequests { get; init; }

    /// <summary>
    /// Gets the backend's <c>Timeout</c>: besides bounding each call in the backend's own client, the longest a stream
    /// may go without a token (before its first one and between two) before the attempt is abandoned.
    /// </summary>
    public TimeSpan Timeout { get; init; } = Defaults.BackendTimeout(Lane);

    /// <summary>
    /// Gets the setting a user changes for <see cref="Timeout"/>, named in timeout errors: its configuration key with
    /// the backend's index when the backend is configured (<c>HybridInference:Local:Backends:0:Timeout</c>).
    /// </summary>
    public string TimeoutKey { get; init; } = DefaultTimeoutKey(Name, Lane);

    /// <summary>Names where the timeout of a backend that is not in configuration would be set.</summary>
    /// <param name="name">The backend's name.</param>
    /// <param name="lane">Its lane.</param>
    /// <returns>The words.</returns>
    public static string DefaultTimeoutKey(string name, BackendLane lane) => $"the Timeout of backend '{name}' under HybridInference:{lane}:Backends";

    /// <summary>Gets the value of the <c>target</c> metric tag.</summary>
    public string LaneTag { get; } = Lane == BackendLane.Local ? "local" : "cloud";

    /// <summary>
    /// Gets the value of the <c>gen_ai.response.model</c> tag for a model the backend's server reported: its configured
    /// model when the server names that model (in any casing) or a version of it (a <c>-</c>, <c>:</c> or <c>@</c>, then a
    /// digit or <c>latest</c>: <c>gpt-4o-2024-08-06</c>, <c>llama3.2:3b</c>, <c>llama3.2:latest</c>; not <c>gpt-4o-mini</c>),
    /// else <c>other</c>; null when the server named none. A server's own string never becomes a tag value, so the
    /// tag's values are bounded by configuration and cannot carry what a server echoes.
    /// </summary>
    /// <param name="responseModel">The model the server reported.</param>
    /// <returns>The tag value.</returns>
    public string? ResponseModelTag(string? responseModel)
    {
        if (responseModel is null)
        {
            return null;
        }

        var model = Model;
        if (model is null || !responseModel.StartsWith(model, StringComparison.OrdinalIgnoreCase))
        {
            return Telemetry.HybridInferenceTelemetry.OtherModel;
        }

        if (responseModel.Length == model.Length)
        {
            return model;
        }

        var version = responseModel.AsSpan(model.Length);
        return version.Length >= 2 && (version[0] is '-' or ':' or '@') && (char.IsAsciiDigit(version[1]) || version[1..].Equals("latest", StringComparison.OrdinalIgnoreCase))
            ? model
            : Telemetry.HybridInferenceTelemetry.OtherModel;
    }
}
