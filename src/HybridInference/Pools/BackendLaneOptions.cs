using System.ComponentModel.DataAnnotations;
using HybridInference.Internal;
using Microsoft.Extensions.Options;

namespace HybridInference;

/// <summary>What the local and the cloud lane configure alike: their backends, how requests are spread over them, and when a failing one is set aside.</summary>
public abstract class BackendLaneOptions
{
    /// <summary>Gets the lane's backends, in configuration order.</summary>
    [ValidateEnumeratedItems]
    public IList<BackendOptions> Backends { get; } = [];

    /// <summary>Gets or sets how the pool chooses a backend for each request. Defaults: WeightedRoundRobin for the local lane, Ordered for the cloud lane.</summary>
    public abstract LoadBalancingStrategy LoadBalancing { get; set; }

    /// <summary>
    /// Gets or sets how many failures in a row set a backend aside (passive ejection); context-length rejections,
    /// bad requests and full backends do not count. Default 3; 1 to 100.
    /// </summary>
    [Range(1, Defaults.MaximumFailuresBeforeEjection)]
    public int FailuresBeforeEjection { get; set; } = Defaults.FailuresBeforeEjection;

    /// <summary>
    /// Gets or sets how long an ejected backend is set aside. After it the backend is on probation: one request at a
    /// time, whose success returns it to service and whose failure ejects it again. Default 30 seconds; 0.5 s to one day.
    /// </summary>
    [Range(typeof(TimeSpan), Defaults.MinimumDurationText, Defaults.MaximumDurationText)]
    public TimeSpan EjectionDuration { get; set; } = Defaults.EjectionDuration;

    /// <summary>
    /// Gets or sets how long a streamed answer may take to produce its first token (text, reasoning text or a tool call;
    /// role-only or empty chunks, usage and keep-alive comments are not tokens, however many arrive) before the attempt
    /// fails with a <see cref="BackendException"/> of kind <see cref="BackendErrorKind.Timeout"/> and the next backend
    /// is tried, like any failure before output was committed. Default: no limit. 0.5 s to one day when set.
    /// </summary>
    [Range(typeof(TimeSpan), Defaults.MinimumDurationText, Defaults.MaximumDurationText)]
    public TimeSpan? TimeToFirstToken { get; set; }

    /// <summary>
    /// Gets or sets how often each backend whose client can probe its server (<see cref="IBackendHealthProbe"/>) is
    /// asked whether it is ready, on its dialect's health endpoint: first as soon as the pool is built, then at this
    /// interval; no tokens are spent. A failed probe ejects the backend; a passed probe puts an ejected one on
    /// probation and ends the break of the lane's open circuit breaker (the next request is its trial). Default 30
    /// seconds; 0.5 s to one day.
    /// </summary>
    [Range(typeof(TimeSpan), Defaults.MinimumDurationText, Defaults.MaximumDurationText)]
    public TimeSpan HealthCheckInterval { get; set; } = Defaults.HealthCheckInterval;
}
