using System.ComponentModel.DataAnnotations;
using HybridInference.Internal;

namespace HybridInference;

/// <summary>The routing, fallback and circuit-breaker settings (configuration section <c>HybridInference:Routing</c>).</summary>
public sealed class RoutingOptions
{
    /// <summary>
    /// Gets or sets the largest number of tokens (estimated prompt plus requested output) sent to a local backend;
    /// larger requests go to the cloud. Default: what the local windows allow, the largest local context window known
    /// (a backend's <c>ContextWindow</c>, or the window its server reports), and 4096 while none is known. At least 1
    /// when set; a value larger than every configured local <c>ContextWindow</c> is refused at start, and one larger
    /// than the windows the servers report logs a warning when they report them.
    /// </summary>
    [Range(1, int.MaxValue)]
    public int? LocalContextLimit { get; set; }

    /// <summary>
    /// Gets or sets the output tokens kept for the answer of a request that sets no <c>MaxOutputTokens</c>: the router
    /// reserves them when it checks the request against <see cref="LocalContextLimit"/> and the context windows (a
    /// prompt that fits but leaves no room for them is routed as too long), and local backends are sent them as the
    /// request's output limit (<c>max_tokens</c>), so that a model that does not stop cannot fill its slot. A caller's
    /// <c>MaxOutputTokens</c> wins. Default 1024; 1 to 1,048,576.
    /// </summary>
    [Range(1, Defaults.MaximumOutputTokens)]
    public int DefaultOutputTokens { get; set; } = Defaults.DefaultOutputTokens;

    /// <summary>
    /// Gets or sets how many times invalid local JSON output is retried locally with a constrained prompt before the
    /// request escalates. Default 1; 0 to 5.
    /// </summary>
    [Range(0, Defaults.FallbackMaxRetriesLimit)]
    public int FallbackMaxRetries { get; set; } = Defaults.FallbackMaxRetries;

    /// <summary>
    /// Gets or sets the ratio of failed local attempts over <see cref="SamplingWindow"/> that opens the local circuit
    /// breaker and sends routable traffic to the cloud. Default 0.15; greater than 0, at most 1.
    /// </summary>
    [Range(0.0, 1.0, MinimumIsExclusive = true)]
    public double EscalationThreshold { get; set; } = Defaults.EscalationThreshold;

    /// <summary>Gets or sets the rolling window over which local failures are counted. Default one minute; 0.5 s to one day.</summary>
    [Range(typeof(TimeSpan), Defaults.MinimumDurationText, Defaults.MaximumDurationText)]
    public TimeSpan SamplingWindow { get; set; } = Defaults.SamplingWindow;

    /// <summary>
    /// Gets or sets how many local attempts the window must hold before the breaker may open. Default 20; at least 2.
    /// </summary>
    [Range(2, int.MaxValue)]
    public int MinimumThroughput { get; set; } = Defaults.MinimumThroughput;

    /// <summary>
    /// Gets or sets how long the breaker stays open before it lets one trial request through. A health probe of a
    /// backend in the lane that passes after the circuit opened ends the break sooner: the next request is the trial.
    /// Default 30 seconds; 0.5 s to one day.
    /// </summary>
    [Range(typeof(TimeSpan), Defaults.MinimumDurationText, Defaults.MaximumDurationText)]
    public TimeSpan BreakDuration { get; set; } = Defaults.BreakDuration;

    /// <summary>
    /// Gets or sets how many attempts of a lane failing in a row (counted as <see cref="EscalationThreshold"/> counts
    /// them) open its breaker, however few requests the window holds: a dead or stalled server trips it without
    /// waiting for <see cref="MinimumThroughput"/> attempts. A success resets the count. Default 5; 2 to 1000.
    /// </summary>
    [Range(Defaults.MinimumFailuresBeforeBreak, Defaults.MaximumFailuresBeforeBreak)]
    public int FailuresBeforeBreak { get; set; } = Defaults.FailuresBeforeBreak;

    /// <summary>
    /// Gets or sets the most a whole request (every attempt, retry and escalation together) may take; past it every
    /// attempt is cancelled and the caller gets <see cref="TimeoutException"/>. A stream must end within it too; one
    /// cut off after its first token ends in <see cref="StreamInterruptedException"/> around the timeout. Each
    /// backend's own <c>Timeout</c> still bounds each attempt. Default: no limit; 0.5 s to one day when set.
    /// </summary>
    [Range(typeof(TimeSpan), Defaults.MinimumDurationText, Defaults.MaximumDurationText)]
    public TimeSpan? RequestTimeout { get; set; }

    /// <summary>
    /// Gets or sets how long, after the local circuit breaker closes again, traffic returns to local gradually: the
    /// local share of routable requests grows evenly from none to all over this time, the rest staying in the cloud
    /// (route reason <see cref="RouteReason.CircuitRecovering"/>). Default 30 seconds; 0 (all at once) to one day.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00", Defaults.MaximumDurationText)]
    public TimeSpan RecoveryRamp { get; set; } = Defaults.RecoveryRamp;

    /// <summary>
    /// Gets or sets the latency budget of routable local requests: when a local answer (for a stream, its first token)
    /// has not come within it, the same request starts in the cloud too (Polly hedging); the first answer wins and
    /// the other is cancelled. A JSON request races validated answers: an invalid cloud answer does not win. A hedged
    /// request makes at most one cloud call, the hedge or the local lane's escalation. Never for
    /// <see cref="DataPolicy.LocalOnly"/> requests. Counted in <c>hybrid_inference.hedges</c>. Default: off. 0.01 s
    /// to one day when set.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", Defaults.MaximumDurationText)]
    public TimeSpan? HedgeDelay { get; set; }

    /// <summary>
    /// Gets what a request that went to the cloud for its category or a policy does when the cloud fails it before any
    /// output (unreachable, timing out, 5xx, 429, its budget full, its breaker open): answered locally at once
    /// (<see cref="CloudUnavailableAction.Degrade"/>, route reason <see cref="RouteReason.CloudUnavailable"/>), or failed
    /// with <see cref="CloudUnavailableException"/> (<see cref="CloudUnavailableAction.Fail"/>), per category
    /// (<c>Routing:OnCloudUnavailable:Routine</c>, <c>:Complex</c>, <c>:SafetyCritical</c>). Defaults: routine and
    /// complex work degrade, safety-critical work fails.
    /// </summary>
    public CloudUnavailableOptions OnCloudUnavailable { get; } = new();
}
