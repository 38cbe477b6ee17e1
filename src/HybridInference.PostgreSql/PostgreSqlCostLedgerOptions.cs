using System.ComponentModel.DataAnnotations;

namespace HybridInference.PostgreSql;

/// <summary>
/// Settings of the PostgreSQL cost ledger (configuration section <c>HybridInference:Observability:Ledger</c>): one ledger
/// that every replica of an app writes to and reads from.
/// </summary>
public sealed class PostgreSqlCostLedgerOptions
{
    /// <summary>
    /// Gets or sets the Npgsql connection string of the database that holds the ledger, e.g.
    /// <c>Host=db;Port=5432;Database=app;Username=ledger;Password=...</c>. Required. A secret: it is never logged nor put
    /// in an exception or a status, which name its key, host, port and database instead. Checked when the host starts:
    /// a server that cannot be reached, a login that is refused or a database of a newer ledger schema fails validation
    /// with the key and the host and port named. The ledger's tables are created in the connection's schema
    /// (<c>Search Path</c>; <c>public</c> by default).
    /// </summary>
    [Required]
    public string ConnectionString { get; set; } = string.Empty;

    /// <summary>
    /// Gets or sets how many finished requests may wait for the next write. A request that finds the queue full is
    /// not slowed or failed: its record is dropped and counted (<see cref="ICostLedger.DroppedRecords"/>). While the
    /// server is away, failed writes keep up to this many records for the next one. Default 10,000.
    /// </summary>
    [Range(1, 10_000_000)]
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>
    /// Gets or sets how often queued records are written, in one transaction: a crash of the app loses at most the
    /// records of the last interval. Default 1 second; 10 ms to 1 hour.
    /// </summary>
    [Range(typeof(TimeSpan), "00:00:00.010", "01:00:00")]
    public TimeSpan FlushInterval { get; set; } = TimeSpan.FromSeconds(1);
}
