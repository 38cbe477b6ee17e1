using Microsoft.Extensions.Logging;

namespace HybridInference.Redis;

/// <summary>The Redis coordination's log messages. None carries the configuration string (it may hold a password).</summary>
internal static partial class RedisLog
{
    [LoggerMessage(1, LogLevel.Warning, "Redis ({Endpoints}) is unreachable ({Failure}); this replica uses its own cloud budget and breaker until it answers again.")]
    public static partial void Unreachable(ILogger logger, string endpoints, string failure);

    [LoggerMessage(2, LogLevel.Information, "Redis ({Endpoints}) is reachable again after {Outage}; this replica rejoined the shared cloud budget and breaker state.")]
    public static partial void Rejoined(ILogger logger, string endpoints, TimeSpan outage);

    [LoggerMessage(3, LogLevel.Information, "Replica {ReplicaId} opened the {Lane} circuit for {BreakDuration}; this replica follows.")]
    public static partial void RemoteOpened(ILogger logger, string replicaId, BackendLane lane, TimeSpan breakDuration);

    [LoggerMessage(4, LogLevel.Information, "Replica {ReplicaId} closed the {Lane} circuit; this replica follows.")]
    public static partial void RemoteClosed(ILogger logger, string replicaId, BackendLane lane);

    [LoggerMessage(5, LogLevel.Information, "Replica {ReplicaId} shares the cloud budget ({Budget}) and breaker state ({Circuits}) on Redis ({Endpoints}).")]
    public static partial void Joined(ILogger logger, string replicaId, bool budget, bool circuits, string endpoints);
}
