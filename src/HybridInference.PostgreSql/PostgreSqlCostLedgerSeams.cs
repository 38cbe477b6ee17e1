using Npgsql;

namespace HybridInference.PostgreSql;

/// <summary>
/// Test seams of <see cref="PostgreSqlCostLedger"/>: places to inject the failures a test cannot cause from outside
/// (an exception that is not an <see cref="NpgsqlException"/>, a server error of a given SQLSTATE). Null in production.
/// </summary>
internal sealed class PostgreSqlCostLedgerSeams
{
    /// <summary>Gets a callback run on each connection the ledger opens for a write, before it is used.</summary>
    public Action<NpgsqlConnection>? ConnectionOpened { get; init; }

    /// <summary>Gets a callback run before each record is written; what it throws is a failure of that record.</summary>
    public Action<RouteOutcome>? RecordWriting { get; init; }
}
