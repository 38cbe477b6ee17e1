using Microsoft.Extensions.Logging;

namespace HybridInference.Telemetry;

/// <summary>The log messages of discovered backends (<c>Local:Backends:N:Discovery</c>): event ids 200 to 209.</summary>
internal static partial class Log
{
    [LoggerMessage(200, LogLevel.Information, "Backend {Backend} ({Discovery} {Name}) has {Count} member(s) now: {Added} added, {Removed} leaving after their requests finish.")]
    public static partial void MembersChanged(ILogger logger, string backend, BackendDiscovery discovery, string name, int count, int added, int removed);

    [LoggerMessage(201, LogLevel.Warning, "Backend {Backend}: looking up {Name} ({Discovery}) failed ({Failure}); its {Count} member(s) are kept.")]
    public static partial void ResolveFailed(ILogger logger, string backend, string name, BackendDiscovery discovery, string failure, int count);

    [LoggerMessage(202, LogLevel.Warning, "Backend {Backend}: {Name} ({Discovery}) has no addresses; its {Count} member(s) are kept.")]
    public static partial void ResolvedEmpty(ILogger logger, string backend, string name, BackendDiscovery discovery, int count);

    [LoggerMessage(203, LogLevel.Warning, "Backend {Backend}: {Name} has {Found} addresses; only the first {Limit} (in address order) become members.")]
    public static partial void TooManyMembers(ILogger logger, string backend, string name, int found, int limit);
}
