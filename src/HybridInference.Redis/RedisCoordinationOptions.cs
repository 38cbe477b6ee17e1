using System.ComponentModel.DataAnnotations;

namespace HybridInference.Redis;

/// <summary>
/// Settings of the replicas' shared state on Redis (configuration section <c>HybridInference:Redis</c>): the cloud
/// budget shared by every replica and the lanes' breaker decisions. Redis is optional state: when it cannot be reached,
/// each replica falls back to its own budget and breaker at once and rejoins when it is back.
/// </summary>
public sealed class RedisCoordinationOptions
{
    /// <summary>
    /// Gets or sets the StackExchange.Redis configuration string, for example <c>redis:6379,password=...</c>. Required.
    /// Checked at start-up (missing, or a string it cannot parse, names this key); it is never logged, since it may
    /// hold a password.
    /// </summary>
    public string Configuration { get; set; } = string.Empty;

    /// <summary>
    /// Gets or sets the prefix of every key and channel, so that several apps can share one Redis: the replicas of one
    /// app must use the same. Default <c>hybrid-inference</c>.
    /// </summary>
    [Required]
    [RegularExpression(@"^[A-Za-z0-9_.:{}\-]{1,100}$")]
    public string KeyPrefix { get; set; } = RedisDefaults.KeyPrefix;

    /// <summary>
    /// Gets or sets this replica's name in the breaker decisions it publishes (logged by the replicas that follow
    /// them). Default: the machine name (a Kubernetes pod's name) and the process id.
    /// </summary>
    [RegularExpression(@"^[^|\s]{1,200}$")]
    public string? ReplicaId { get; set; }

    /// <summary>
    /// Gets or sets the longest a request waits for one Redis call: past it, the call counts as failed and the replica
    /// uses its own budget and breaker until Redis answers a probe again. Default 10 ms; 1 ms to 5 s.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.001", "00:00:05")]
    public TimeSpan OperationTimeout { get; set; } = RedisDefaults.OperationTimeout;

    /// <summary>
    /// Gets or sets how long start-up waits for the first connection (the chain is built meanwhile); unreachable then,
    /// the replica starts on its own budget and breaker and keeps trying. Default 1 s; 10 ms to 1 minute.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:01:00")]
    public TimeSpan ConnectTimeout { get; set; } = RedisDefaults.ConnectTimeout;

    /// <summary>
    /// Gets or sets how often a replica that lost Redis probes it (a <c>PING</c>, off the request path) to rejoin.
    /// Default 1 s; 10 ms to 5 minutes.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "00:05:00")]
    public TimeSpan ReconnectInterval { get; set; } = RedisDefaults.ReconnectInterval;

    /// <summary>Gets or sets a value indicating whether the cloud budget (<c>Cloud:RequestsPerMinute</c>, <c>Cloud:TokensPerMinute</c>) is shared by the replicas. Default <see langword="true"/>.</summary>
    public bool ShareCloudBudget { get; set; } = true;

    /// <summary>Gets or sets a value indicating whether the lanes' breaker openings and closings are shared by the replicas. Default <see langword="true"/>.</summary>
    public bool ShareCircuits { get; set; } = true;
}
