namespace HybridInference.Internal;

/// <summary>Every default value of the library, in one place; options and docs refer here.</summary>
internal static class Defaults
{
    public const int LocalContextLimit = 4096;

    /// <summary>The output reserved for a request that sets no <c>MaxOutputTokens</c> (<c>Routing:DefaultOutputTokens</c>).</summary>
    public const int DefaultOutputTokens = 1024;

    /// <summary>The largest <c>Routing:DefaultOutputTokens</c> accepted.</summary>
    public const int MaximumOutputTokens = 1_048_576;
    public const int FallbackMaxRetries = 1;
    public const int FallbackMaxRetriesLimit = 5;
    public const double EscalationThreshold = 0.15;
    public static readonly TimeSpan SamplingWindow = TimeSpan.FromMinutes(1);
    public const int MinimumThroughput = 20;
    public static readonly TimeSpan BreakDuration = TimeSpan.FromSeconds(30);

    /// <summary>Lane attempts failed in a row that open the breaker whatever the traffic (<c>Routing:FailuresBeforeBreak</c>).</summary>
    public const int FailuresBeforeBreak = 5;
    public const int MinimumFailuresBeforeBreak = 2;
    public const int MaximumFailuresBeforeBreak = 1000;
    public static readonly TimeSpan RecoveryRamp = TimeSpan.FromSeconds(30);

    /// <summary>Polly's smallest sampling and break durations.</summary>
    public const string MinimumDurationText = "00:00:00.500";

    public const string MaximumDurationText = "1.00:00:00";
    public const int CloudRequestsPerMinute = 1000;
    public static readonly TimeSpan RateLimitQueueTime = TimeSpan.FromSeconds(2);

    /// <summary>The cloud budget's sliding window is a minute in this many segments.</summary>
    public const int RateLimitSegments = 6;
    public const int BackendWeight = 1;
    public const int FailuresBeforeEjection = 3;
    public const int MaximumFailuresBeforeEjection = 100;
    public static readonly TimeSpan EjectionDuration = TimeSpan.FromSeconds(30);
    public static readonly TimeSpan HealthCheckInterval = TimeSpan.FromSeconds(30);

    /// <summary>How often a discovered backend's name is looked up again (<c>Local:Backends:N:ResolveInterval</c>).</summary>
    public static readonly TimeSpan ResolveInterval = TimeSpan.FromSeconds(30);

    /// <summary>The shortest time between two lookups of a discovered backend's name that a member's ejection brings forward.</summary>
    public static readonly TimeSpan EarlyResolveGap = TimeSpan.FromSeconds(5);

    /// <summary>The longest a name lookup may take before it counts as failed (the members are kept).</summary>
    public static readonly TimeSpan ResolveTimeout = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The most members one discovered backend makes (addresses past it, in sorted order, are left out and logged), so
    /// that the <c>backend</c> metric tag has a bounded number of values per configured backend at any time.
    /// </summary>
    public const int MaximumDiscoveredMembers = 64;

    /// <summary>
    /// A local backend's <c>Timeout</c> when none is configured: the longest a call waits for the server, and a stream
    /// for its next token. Short enough that a stalled local server fails over to the cloud while the caller still waits.
    /// </summary>
    public static readonly TimeSpan LocalBackendTimeout = TimeSpan.FromSeconds(30);

    /// <summary>A cloud backend's <c>Timeout</c> when none is configured (the OpenAI SDK's own default).</summary>
    public static readonly TimeSpan CloudBackendTimeout = TimeSpan.FromSeconds(100);

    /// <summary>The <c>Timeout</c> of a backend of <paramref name="lane"/> that configures none.</summary>
    public static TimeSpan BackendTimeout(BackendLane lane) => lane == BackendLane.Local ? LocalBackendTimeout : CloudBackendTimeout;

    /// <summary>The longest a health probe may take before it counts as failed.</summary>
    public static readonly TimeSpan HealthProbeTimeout = TimeSpan.FromSeconds(10);

    /// <summary>How many recent calls a backend's success rate and p95 latency are computed over.</summary>
    public const int BackendStatusWindow = 128;

    /// <summary>The weight of the newest latency in a backend's moving average (EWMA).</summary>
    public const double LatencyEwmaAlpha = 0.2;
    public const int MaximumBackendWeight = 1000;
    public const int RetentionDays = 90;
    public const int ComplexConversationMessages = 20;

    /// <summary>The most tokens a history summary may take (<c>Local:History:SummaryMaxTokens</c>), and its range.</summary>
    public const int SummaryMaxTokens = 256;
    public const int MinimumSummaryMaxTokens = 16;
    public const int MaximumSummaryMaxTokens = 65536;

    /// <summary>The latest turns a new history summary leaves verbatim at most (<c>Local:History:KeepLastTurns</c>), and the most allowed.</summary>
    public const int KeepLastTurns = 8;
    public const int MaximumKeepLastTurns = 1000;

    /// <summary>How many history summaries are kept, by the hash of the turns they summarize.</summary>
    public const int SummaryCacheEntries = 1024;

    /// <summary>How many validation errors a retry prompt quotes at most.</summary>
    public const int RetryPromptMaxErrors = 8;
}
