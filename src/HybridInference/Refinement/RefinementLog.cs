using Microsoft.Extensions.Logging;

namespace HybridInference.Refinement;

/// <summary>The log messages of the refinement and its outbox, source-generated; none carries a prompt, a draft or a server's text.</summary>
internal static partial class RefinementLog
{
    [LoggerMessage(60, LogLevel.Warning, "{Count} outbox item(s) expired: they waited longer than Refinement:Outbox:MaxAge ({MaxAge}).")]
    public static partial void ExpiredByAge(ILogger logger, int count, TimeSpan maxAge);

    [LoggerMessage(61, LogLevel.Warning, "{Count} refinement(s) expired at once: the outbox was full (Refinement:Outbox:Capacity {Capacity}).")]
    public static partial void ExpiredByCapacity(ILogger logger, long count, int capacity);

    [LoggerMessage(62, LogLevel.Warning, "Outbox item {RequestId} failed after {Sends} send(s): {Reason}")]
    public static partial void ItemFailed(ILogger logger, string requestId, int sends, string reason);

    [LoggerMessage(63, LogLevel.Debug, "Outbox: a send failed ({Failure}); the oldest item waits {Delay} and the items after it wait with it.")]
    public static partial void SendFailed(ILogger logger, string failure, TimeSpan delay);

    [LoggerMessage(64, LogLevel.Information, "Outbox: delivered {Count} item(s); {Waiting} waiting.")]
    public static partial void Delivered(ILogger logger, int count, long waiting);

    [LoggerMessage(65, LogLevel.Warning, "A refinement listener ({Listener}) threw {Exception}; the others are still told.")]
    public static partial void ListenerFailed(ILogger logger, string listener, string exception);

    [LoggerMessage(66, LogLevel.Error, "The outbox could not be read or written ({Exception}); the worker tries again at its next pass.")]
    public static partial void StoreFailed(ILogger logger, string exception);

    [LoggerMessage(67, LogLevel.Error, "Refinement {RequestId} could not be written to the outbox ({Exception}); it ends as failed and the caller keeps the local answer.")]
    public static partial void QueueFailed(ILogger logger, string requestId, string exception);
}
