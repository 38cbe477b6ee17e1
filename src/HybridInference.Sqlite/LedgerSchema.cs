using Microsoft.Data.Sqlite;

namespace HybridInference.Sqlite;

/// <summary>The ledger's one table, created or brought up to date when the ledger opens the database.</summary>
internal static class LedgerSchema
{
    /// <summary>The schema version stored in <c>PRAGMA user_version</c>.</summary>
    public const int Version = 1;

    private const string CreateV1 = """
        CREATE TABLE IF NOT EXISTS requests (
            id                  INTEGER PRIMARY KEY,
            started_at_ms       INTEGER NOT NULL,  -- Unix time, milliseconds, UTC
            category            TEXT    NOT NULL,  -- TaskCategory
            route               TEXT    NOT NULL,  -- BackendLane that answered (or was tried last)
            decision            TEXT    NOT NULL,  -- RouteTarget
            decision_reason     TEXT    NOT NULL,  -- RouteReason
            backend             TEXT    NOT NULL,
            model               TEXT,
            input_tokens        INTEGER NOT NULL,
            output_tokens       INTEGER NOT NULL,
            cost_usd            REAL    NOT NULL,
            cloud_baseline_usd  REAL    NOT NULL,  -- the all-cloud counterfactual of this task
            latency_ms          REAL    NOT NULL,
            attempts            INTEGER NOT NULL,
            validation          TEXT    NOT NULL,  -- none, passed, retried, failed
            validation_failures INTEGER NOT NULL,
            escalation_reason   TEXT    NOT NULL,  -- EscalationReason
            failed              INTEGER NOT NULL,
            output_committed    INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS requests_started_at ON requests (started_at_ms);
        """;

    /// <summary>Creates the table on a new database; refuses a database written by a newer version of the ledger.</summary>
    /// <exception cref="InvalidOperationException">The database's schema is newer than this ledger knows.</exception>
    public static void Apply(SqliteConnection connection, string path)
    {
        using (var wal = connection.CreateCommand())
        {
            // Readers (the summaries) do not block the writer, nor it them.
            wal.CommandText = "PRAGMA journal_mode = WAL;";
            wal.ExecuteNonQuery();
        }

        var version = ReadVersion(connection);
        if (version > Version)
        {
            throw new InvalidOperationException(
                $"The cost ledger database '{path}' has schema version {version}; this version of HybridInference.Sqlite knows up to {Version}.");
        }

        if (version < 1)
        {
            using var transaction = connection.BeginTransaction();
            using var create = connection.CreateCommand();
            create.Transaction = transaction;
            create.CommandText = CreateV1 + $"PRAGMA user_version = {Version};";
            create.ExecuteNonQuery();
            transaction.Commit();
        }
    }

    private static long ReadVersion(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA user_version;";
        return (long)command.ExecuteScalar()!;
    }
}
