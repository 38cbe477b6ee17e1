using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;

namespace HybridInference.Sqlite.Tests;

/// <summary>The schema: a version 1 database is brought up to version 2 (NULL for numbers that are not finite) with its records.</summary>
public sealed class LedgerSchemaTests : IDisposable
{
    private const string Version1 = """
        CREATE TABLE requests (
            id INTEGER PRIMARY KEY, started_at_ms INTEGER NOT NULL, category TEXT NOT NULL, route TEXT NOT NULL,
            decision TEXT NOT NULL, decision_reason TEXT NOT NULL, backend TEXT NOT NULL, model TEXT,
            input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cost_usd REAL NOT NULL,
            cloud_baseline_usd REAL NOT NULL, latency_ms REAL NOT NULL, attempts INTEGER NOT NULL, validation TEXT NOT NULL,
            validation_failures INTEGER NOT NULL, escalation_reason TEXT NOT NULL, failed INTEGER NOT NULL,
            output_committed INTEGER NOT NULL);
        CREATE INDEX requests_started_at ON requests (started_at_ms);
        INSERT INTO requests VALUES (7, 1767225600000, 'Routine', 'Local', 'Local', 'Default', 'local', 'm', 1, 2, 0.5, 0.75, 12.5, 1, 'none', 0, 'None', 0, 1);
        PRAGMA user_version = 1;
        """;

    private readonly string _folder = Path.Combine(Path.GetTempPath(), "hi-ledger-schema-" + Guid.NewGuid().ToString("N"));

    [Fact]
    public async Task Open_AVersion1Database_MigratesItKeepingItsRecords_AndTakesNonFiniteNumbers()
    {
        Directory.CreateDirectory(_folder);
        var path = Path.Combine(_folder, "costs.db");
        using (var connection = new SqliteConnection($"Data Source={path};Pooling=False"))
        {
            connection.Open();
            using var command = connection.CreateCommand();
            command.CommandText = Version1;
            command.ExecuteNonQuery();
        }

        await using (var ledger = new SqliteCostLedger(new CostLedgerOptions { DatabasePath = path }, 90, new FakeTimeProvider(), NullLogger.Instance))
        {
            ledger.OnRequestFinished(LedgerUnderTest.Record(1, cost: double.NaN, baseline: double.PositiveInfinity));
        }

        var rows = SqliteLedgerStore.ReadRows(path);
        Assert.Equal(2, rows.Count);
        Assert.Equal((7L, "local", 0.5, 0.75, 12.5), ((long)rows[0]["id"]!, (string)rows[0]["backend"]!, (double)rows[0]["cost_usd"]!, (double)rows[0]["cloud_baseline_usd"]!, (double)rows[0]["latency_ms"]!));
        Assert.Equal((null, null), (rows[1]["cost_usd"], rows[1]["cloud_baseline_usd"]));

        using var check = new SqliteConnection($"Data Source={path};Pooling=False;Mode=ReadOnly");
        check.Open();
        using var version = check.CreateCommand();
        version.CommandText = "PRAGMA user_version;";
        Assert.Equal((long)LedgerSchema.Version, (long)version.ExecuteScalar()!);
        version.CommandText = "SELECT COUNT(*) FROM sqlite_master WHERE name IN ('requests_started_at', 'ledger') OR name = 'requests_v1';";
        Assert.Equal(2L, (long)version.ExecuteScalar()!);
    }

    public void Dispose()
    {
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }
}
