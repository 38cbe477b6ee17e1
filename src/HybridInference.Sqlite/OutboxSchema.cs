using Microsoft.Data.Sqlite;

namespace HybridInference.Sqlite;

/// <summary>
/// The outbox's table, created or checked when the outbox opens its database. Its version is kept in a table of its
/// own (<c>outbox_meta</c>), not in <c>PRAGMA user_version</c>, so the outbox can share the cost ledger's file.
/// </summary>
internal static class OutboxSchema
{
    /// <summary>
    /// The schema version stored under <c>outbox_meta.schema_version</c>. Version 2 added <c>settings</c> (deferred
    /// work's request settings) and the <c>deferred</c> kind; a version 1 file is migrated when it is opened, its
    /// waiting refinements kept.
    /// </summary>
    public const int Version = 2;

    private const string Create = """
        CREATE TABLE IF NOT EXISTS outbox (
            id                 INTEGER PRIMARY KEY AUTOINCREMENT,  -- the order items leave in
            request_id         TEXT    NOT NULL UNIQUE,
            kind               TEXT    NOT NULL,                   -- refinement, deferred
            category           INTEGER NOT NULL,                   -- TaskCategory
            queued_at_ms       INTEGER NOT NULL,                   -- Unix time, milliseconds, UTC
            draft              TEXT    NOT NULL,                   -- emptied when the item ends
            draft_cost_usd     REAL,
            messages           TEXT    NOT NULL,                   -- the conversation to send, JSON; emptied when the item ends
            sends              INTEGER NOT NULL DEFAULT 0,
            refusals           INTEGER NOT NULL DEFAULT 0,
            next_attempt_at_ms INTEGER NOT NULL,
            state              TEXT    NOT NULL DEFAULT 'waiting', -- waiting, delivered, expired, failed
            ended_at_ms        INTEGER,
            reason             TEXT,
            settings           TEXT                                -- deferred work: the request's settings, JSON (version 2)
        );
        CREATE INDEX IF NOT EXISTS outbox_state ON outbox (state, id);
        CREATE TABLE IF NOT EXISTS outbox_meta (
            key   TEXT PRIMARY KEY,
            value TEXT NOT NULL
        );
        INSERT OR IGNORE INTO outbox_meta (key, value) VALUES ('schema_version', '2');
        """;

    /// <summary>Version 1 had no <c>settings</c> column (and only refinements): it is added, empty for the items there.</summary>
    private const string MigrateV1 = """
        ALTER TABLE outbox ADD COLUMN settings TEXT;
        UPDATE outbox_meta SET value = '2' WHERE key = 'schema_version';
        """;

    /// <summary>Opens a connection to the outbox's file for one operation: WAL, full sync (an item is on disk when its write returns).</summary>
    public static SqliteConnection Open(string connectionString)
    {
        var connection = new SqliteConnection(connectionString);
        try
        {
            connection.Open();
            using var pragma = connection.CreateCommand();
            pragma.CommandText = "PRAGMA synchronous = FULL;";
            pragma.ExecuteNonQuery();
            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    /// <summary>Creates the table on a new database, brings a version 1 one up to date, or checks an existing one is a version this package knows.</summary>
    /// <exception cref="InvalidOperationException">The file cannot hold the outbox; the message names the path and why.</exception>
    public static void Apply(string connectionString, string path)
    {
        try
        {
            if (Directory.Exists(path))
            {
                throw new InvalidOperationException($"The outbox database '{path}' is a directory, not a database file.");
            }

            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            using var connection = Open(connectionString);
            using (var wal = connection.CreateCommand())
            {
                wal.CommandText = "PRAGMA journal_mode = WAL;";
                wal.ExecuteNonQuery();
            }

            using var transaction = connection.BeginTransaction(deferred: false);
            using var command = connection.CreateCommand();
            command.Transaction = transaction;
            command.CommandText = Create + "SELECT value FROM outbox_meta WHERE key = 'schema_version';";
            var version = int.Parse((string)command.ExecuteScalar()!, System.Globalization.CultureInfo.InvariantCulture);
            if (version > Version)
            {
                throw new InvalidOperationException(
                    $"The outbox database '{path}' has outbox schema version {version}; this version of HybridInference.Sqlite knows up to {Version}.");
            }

            if (version == 1)
            {
                using var migrate = connection.CreateCommand();
                migrate.Transaction = transaction;
                migrate.CommandText = MigrateV1;
                migrate.ExecuteNonQuery();
            }

            transaction.Commit();
        }
        catch (SqliteException ex)
        {
            throw new InvalidOperationException($"The outbox database '{path}' {LedgerDatabase.Describe(ex)}.", ex);
        }
        catch (IOException ex)
        {
            throw new InvalidOperationException($"The outbox database '{path}' cannot be created ({ex.Message}).", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new InvalidOperationException($"The outbox database '{path}' cannot be created ({ex.Message}).", ex);
        }
    }
}
