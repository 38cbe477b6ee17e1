namespace HybridInference;

/// <summary>
/// The cost ledger: every finished request of the hybrid client, kept in a database, and what they add up to. Registered
/// by a ledger package: <c>AddSqliteCostLedger</c> (HybridInference.Sqlite, one file per process) or
/// <c>AddPostgreSqlCostLedger</c> (HybridInference.PostgreSql, one ledger shared by every replica).
/// </summary>
public interface ICostLedger
{
    /// <summary>
    /// Gets the number of records dropped, each of them logged: the queue was full when their request finished, the
    /// record itself could not be written, more than the queue's capacity waited after failed writes, or the last write
    /// at disposal failed.
    /// </summary>
    long DroppedRecords { get; }

    /// <summary>Writes every queued record now, rather than at the next interval.</summary>
    /// <param name="cancellationToken">Cancels the wait for the write.</param>
    /// <returns>
    /// A task that completes when the records queued before the call are in the database, or, when the write failed
    /// (logged), are dropped and counted or kept for the next write.
    /// </returns>
    Task FlushAsync(CancellationToken cancellationToken = default);

    /// <summary>Adds up the requests that started in [<paramref name="from"/>, <paramref name="to"/>).</summary>
    /// <param name="from">The start of the range, inclusive.</param>
    /// <param name="to">The end of the range, exclusive.</param>
    /// <param name="cancellationToken">Cancels the query.</param>
    /// <returns>Cost per 1,000 tasks, savings against the all-cloud baseline, local share, escalations by reason and latency by route.</returns>
    /// <exception cref="ArgumentException"><paramref name="to"/> is not after <paramref name="from"/>.</exception>
    Task<CostLedgerSummary> SummarizeAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default);
}
