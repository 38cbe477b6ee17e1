using System.Globalization;
using Microsoft.Data.Sqlite;

namespace HybridInference.Sqlite;

/// <summary>The ledger's tables, created or brought up to date when the ledger opens the database.</summary>
internal static class LedgerSchema
{
    /// <summary>The schema version stored in <c>PRAGMA user_version</c>.</summary>
    public const int Version = 2;

    /// <summary>The table of finished requests, version 2: the three measured numbers are NULL when they were not finite.</summary>
    private const string CreateRequests = """
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
            cost_usd            REAL,              -- NULL: the cost was not a finite number (NaN, infinity)
            cloud_baseline_usd  REAL,              -- the all-cloud counterfactual of this task; NULL as above
            latency_ms          REAL,              -- NULL as above
            attempts            INTEGER NOT NULL,
            validation          TEXT    NOT NULL,  -- none, passed, retried, failed
            validation_failures INTEGER NOT NULL,
            escalation_reason   TEXT    NOT NULL,  -- EscalationReason
            failed              INTEGER NOT NULL,
            output_committed    INTEGER NOT NULL
        );
        CREATE INDEX IF NOT EXISTS requests_started_at ON requests (started_at_ms);
        """;

    /// <summary>Facts about the database itself; <c>instance</c> is a random id that tells this file from a replacement.</summary>
    private const string CreateLedger = """
        CREATE TABLE IF NOT EXISTS ledger (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        """;

    /// <summary>Version 1 had NOT NULL on the three measured numbers; SQLite cannot drop a constraint, so the table is rebuilt.</summary>
    private const string MigrateV1 = """
        ALTER TABLE requests RENAME TO requests_v1;
        DROP INDEX IF EXISTS requests_started_at;
        """ + CreateRequests + """
        INSERT INTO requests SELECT id, started_at_ms, category, route, decision, decision_reason, backend, model,
            input_tokens, output_tokens, cost_usd, cloud_baseline_usd, latency_ms, attempts, validation,
            validation_failures, escalation_reason, failed, output_committed FROM requests_v1;
        DROP TABLE requests_v1;
        """;

    /// <summary>A row that is written and rolled back at once: it proves the file, its table and its index take writes.</summary>
    private const string Probe = """
        SAVEPOINT probe;
        INSERT INTO requests (started_at_ms, category, route, decision, decision_reason, backend, input_tokens,
            output_tokens, attempts, validation, validation_failures, escalation_reason, failed, output_committed)
        VALUES (0, '', '', '', '', '', 0, 0, 0, '', 0, '', 0, 0);
        ROLLBACK TO probe;
        RELEASE probe;
        """;

    /// <summary>
    /// Creates the tables on a new database or brings an older one up to date, and proves that the file takes writes.
    /// </summary>
    /// <returns>The database's instance id (created here on a new database).</returns>
    /// <exception cref="InvalidOperationException">The database's schema is newer than this ledger knows.</exception>
    /// <exception cref="SqliteException">The file is not a database, is corrupt, read-only or locked.</exception>
    public static string Apply(SqliteConnection connection, string path)
    {
        using (var wal = connection.CreateCommand())
        {
            // Readers (the summaries) do not block the writer, nor it them.
            wal.CommandText = "PRAGMA journal_mode = WAL;";
            wal.ExecuteNonQuery();
        }

        // BEGIN IMMEDIATE: takes the write lock now, so a read-only file fails here rather than at the first record.
        using var transaction = connection.BeginTransaction(deferred: false);
        var version = ReadVersion(connection, transaction);
        if (version > Version)
        {
            throw new InvalidOperationException(
                $"The cost ledger database '{path}' has schema version {version}; this version of HybridInference.Sqlite knows up to {Version}.");
        }

        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = (version == 1 ? MigrateV1 : CreateRequests) // IF NOT EXISTS: also restores a dropped table.
            + CreateLedger
            + "INSERT OR IGNORE INTO ledger (key, value) VALUES ('instance', $instance);"
            + Probe
            + string.Create(CultureInfo.InvariantCulture, $"PRAGMA user_version = {Version};");
        command.Parameters.AddWithValue("$instance", Guid.NewGuid().ToString("N"));
        command.ExecuteNonQuery();
        var instance = ReadInstance(connection, transaction)!;
        transaction.Commit();
        return instance;
    }

    /// <summary>Reads the database's instance id.</summary>
    /// <returns>The id, or <see langword="null"/> when the file has none (a new, empty file or not a ledger).</returns>
    public static string? ReadInstance(SqliteConnection connection, SqliteTransaction? transaction = null)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "SELECT value FROM ledger WHERE key = 'instance';";
        try
        {
            return command.ExecuteScalar() as string;
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == 1)
        {
            // SQLITE_ERROR "no such table": a file that is not (yet) a ledger.
            return null;
        }
    }

    /// <summary>
    /// Reads the database's instance id, and whether its table of requests is there (someone may have dropped it).
    /// </summary>
    /// <returns>The id, or <see langword="null"/> when the file has none, and whether <c>requests</c> exists.</returns>
    public static (string? Instance, bool HasRequests) ReadIdentity(SqliteConnection connection)
    {
        using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT (SELECT value FROM ledger WHERE key = 'instance'),
                   EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'requests');
            """;
        try
        {
            using var reader = command.ExecuteReader();
            reader.Read();
            return (reader.IsDBNull(0) ? null : reader.GetString(0), reader.GetInt64(1) != 0);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == 1)
        {
            // SQLITE_ERROR "no such table": a file that is not (yet) a ledger.
            return (null, false);
        }
    }

    private static long ReadVersion(SqliteConnection connection, SqliteTransaction transaction)
    {
        using var command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = "PRAGMA user_version;";
        return (long)command.ExecuteScalar()!;
    }
}
