using Microsoft.Data.Sqlite;

namespace HybridInference.Sqlite;

/// <summary>
/// Test seams of <see cref="SqliteCostLedger"/>: a shorter lock wait and places to inject the failures a test cannot
/// cause from outside (an exception that is not a <see cref="SqliteException"/>, a SQLite limit). Null in production.
/// </summary>
internal sealed class SqliteCostLedgerSeams
{
    /// <summary>Gets how long a write waits for a lock, in whole seconds (SQLite's busy timeout; 1 at least).</summary>
    public int BusyTimeoutSeconds { get; init; } = LedgerDatabase.DefaultBusyTimeoutSeconds;

    /// <summary>Gets a callback run on each connection the ledger opens for a write, before it is used.</summary>
    public Action<SqliteConnection>? ConnectionOpened { get; init; }

    /// <summary>Gets a callback run before each record is written; what it throws is a failure of that record.</summary>
    public Action<RouteOutcome>? RecordWriting { get; init; }
}
