using System.ComponentModel.DataAnnotations;

namespace HybridInference.Sqlite;

/// <summary>Settings of the SQLite cost ledger (configuration section <c>HybridInference:Observability:Ledger</c>).</summary>
public sealed class CostLedgerOptions
{
    /// <summary>
    /// Gets or sets the SQLite database file; created, with its folder, when missing. Required. Checked when the host
    /// starts: a path that cannot hold the ledger (a directory, not a database, truncated, corrupt, read-only) fails
    /// validation with the key and the path named.
    /// </summary>
    [Required]
    public string DatabasePath { get; set; } = string.Empty;

    /// <summary>
    /// Gets or sets how many finished requests may wait for the next write. A request that finds the queue full is
    /// not slowed or failed: its record is dropped and counted (<see cref="ICostLedger.DroppedRecords"/>). Default 10,000.
    /// </summary>
    [Range(1, 10_000_000)]
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>
    /// Gets or sets how often queued records are written, in one transaction: a crash loses at most the records of the
    /// last interval. Default 1 second; 10 ms to 1 hour.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(1);
}
