using Microsoft.Extensions.Logging;

namespace HybridInference.Cost;

/// <summary>What the shared write path logs; <c>{Database}</c> is a path or host, port and name, never a secret.</summary>
internal abstract partial class BatchedCostLedger
{
    [LoggerMessage(1, LogLevel.Warning, "The cost ledger could not write {Count} records to {Database}: {Error}. They are kept for the next write.")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, int count, string database, string error);

    [LoggerMessage(2, LogLevel.Information, "The cost ledger pruned {Count} records older than {Days} days.")]
    private static partial void LogPruned(ILogger logger, int count, double days);

    [LoggerMessage(3, LogLevel.Error, "The cost ledger dropped a record of a request started at {StartedAt:O} that it could not write to {Database}: {Error}. The other records are written.")]
    private static partial void LogRecordDropped(ILogger logger, Exception exception, DateTimeOffset startedAt, string database, string error);

    [LoggerMessage(4, LogLevel.Error, "The cost ledger dropped the {Count} oldest unwritten records: after a failed write more than the queue's capacity of {Capacity} were waiting.")]
    private static partial void LogExcessDropped(ILogger logger, int count, int capacity);

    [LoggerMessage(5, LogLevel.Error, "The cost ledger lost {Count} records when it was disposed: the last write to {Database} failed ({Error}).")]
    private static partial void LogRecordsLost(ILogger logger, Exception exception, int count, string database, string error);

    [LoggerMessage(8, LogLevel.Warning, "The cost ledger wrote {Count} values that were not finite numbers (NaN or infinity) as NULL in {Database}.")]
    private static partial void LogNonFinite(ILogger logger, int count, string database);

    [LoggerMessage(9, LogLevel.Warning, "The cost ledger could not prune old records in {Database}: {Error}. It tries again in an hour.")]
    private static partial void LogPruneFailed(ILogger logger, Exception exception, string database, string error);

    [LoggerMessage(10, LogLevel.Error, "The cost ledger's write loop failed; it goes on at the next interval.")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(13, LogLevel.Warning, "The cost ledger wrote {Count} characters that {Database} cannot store in text (NUL, unpaired surrogates) as U+FFFD.")]
    private static partial void LogCharactersReplaced(ILogger logger, int count, string database);
}
