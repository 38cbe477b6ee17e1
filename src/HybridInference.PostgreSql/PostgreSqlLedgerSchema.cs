using System.Globalization;
using Npgsql;

namespace HybridInference.PostgreSql;

/// <summary>
/// The ledger's tables in PostgreSQL, created or migrated by version when a ledger opens the database. The versions
/// applied are rows of <c>cost_ledger_schema</c>; replicas that start together take turns (a transaction-level
/// advisory lock), so each migration runs once.
/// </summary>
internal static class PostgreSqlLedgerSchema
{
    /// <summary>The newest schema version this package knows.</summary>
    public const int Version = 1;

    /// <summary>The table of finished requests.</summary>
    public const string Requests = "cost_ledger_requests";

    /// <summary>The table of applied schema versions.</summary>
    public const string Versions = "cost_ledger_schema";

    /// <summary>The key of the advisory lock the migrations run under ("HILEDGER" in ASCII).</summary>
    private const long MigrationLock = 0x48494C4544474552;

    /// <summary>
    /// The table of finished requests, version 1: the three measured numbers are NULL when they were not finite (PostgreSQL
    /// would store NaN, and a sum over it is NaN). <c>IF NOT EXISTS</c> also restores a table dropped while running.
    /// </summary>
    private const string CreateRequestsV1 = """
        CREATE TABLE IF NOT EXISTS cost_ledger_requests (
            id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            started_at_ms       bigint           NOT NULL,  -- Unix time, milliseconds, UTC
            category            text             NOT NULL,  -- TaskCategory
            route               text             NOT NULL,  -- BackendLane that answered (or was tried last)
            decision            text             NOT NULL,  -- RouteTarget
            decision_reason     text             NOT NULL,  -- RouteReason
            backend             text             NOT NULL,
            model               text,
            input_tokens        bigint           NOT NULL,
            output_tokens       bigint           NOT NULL,
            cost_usd            double precision,           -- NULL: the cost was not a finite number (NaN, infinity)
            cloud_baseline_usd  double precision,           -- the all-cloud counterfactual of this task; NULL as above
            latency_ms          double precision,           -- NULL as above
            attempts            integer          NOT NULL,
            validation          text             NOT NULL,  -- none, passed, retried, failed
            validation_failures integer          NOT NULL,
            escalation_reason   text             NOT NULL,  -- EscalationReason
            failed              boolean          NOT NULL,
            output_committed    boolean          NOT NULL
        );
        CREATE INDEX IF NOT EXISTS cost_ledger_requests_started_at ON cost_ledger_requests (started_at_ms);
        """;

    /// <summary>The migrations, in order: each brings the schema from the version before it to its own.</summary>
    private static readonly (int Version, string Sql)[] Migrations = [(1, CreateRequestsV1)];

    /// <summary>A row that is written and rolled back at once: it proves the table takes writes from this user.</summary>
    private const string Probe = """
        SAVEPOINT probe;
        INSERT INTO cost_ledger_requests (started_at_ms, category, route, decision, decision_reason, backend, input_tokens,
            output_tokens, attempts, validation, validation_failures, escalation_reason, failed, output_committed)
        VALUES (0, '', '', '', '', '', 0, 0, 0, '', 0, '', false, false);
        ROLLBACK TO SAVEPOINT probe;
        """;

    /// <summary>
    /// Creates the tables on a new database or migrates an older one, restores a table of requests that was dropped, and
    /// proves that the table takes writes.
    /// </summary>
    /// <returns>Whether the table of requests had to be created again although the schema said it was there.</returns>
    /// <exception cref="InvalidOperationException">The database's schema is newer than this package knows.</exception>
    /// <exception cref="NpgsqlException">The server refused a statement (privileges, read-only, gone).</exception>
    public static async Task<bool> ApplyAsync(NpgsqlConnection connection, string database, CancellationToken cancellationToken)
    {
        var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using var transactionLease = transaction.ConfigureAwait(false);
        await ExecuteAsync(connection, $"""
            SELECT pg_advisory_xact_lock({MigrationLock.ToString(CultureInfo.InvariantCulture)});
            CREATE TABLE IF NOT EXISTS cost_ledger_schema (
                version    integer     PRIMARY KEY,
                applied_at timestamptz NOT NULL DEFAULT now(),
                applied_by text        NOT NULL
            );
            """, cancellationToken).ConfigureAwait(false);

        long version;
        bool hasRequests;
        using (var read = new NpgsqlCommand(
            "SELECT COALESCE(MAX(version), 0), to_regclass('cost_ledger_requests') IS NOT NULL FROM cost_ledger_schema", connection))
        using (var reader = await read.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            (version, hasRequests) = (reader.GetInt32(0), reader.GetBoolean(1));
        }

        if (version > Version)
        {
            throw new InvalidOperationException(
                $"The cost ledger database {database} has schema version {version}; this version of HybridInference.PostgreSql knows up to {Version}.");
        }

        foreach (var (to, sql) in Migrations)
        {
            if (to > version)
            {
                await ExecuteAsync(connection, sql, cancellationToken).ConfigureAwait(false);
                using var applied = new NpgsqlCommand("INSERT INTO cost_ledger_schema (version, applied_by) VALUES ($1, $2)", connection)
                {
                    Parameters = { new() { Value = to }, new() { Value = AppliedBy } },
                };
                await applied.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            }
        }

        // The schema says the table is there, but someone dropped it: the current table, empty, takes its place.
        var restored = version > 0 && !hasRequests;
        if (restored)
        {
            await ExecuteAsync(connection, CreateRequestsV1, cancellationToken).ConfigureAwait(false);
        }

        await ExecuteAsync(connection, Probe, cancellationToken).ConfigureAwait(false);
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return restored;
    }

    private static string AppliedBy => "HybridInference.PostgreSql " + typeof(PostgreSqlLedgerSchema).Assembly.GetName().Version;

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
