using System.Text;
using HybridInference.Cost;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace HybridInference.PostgreSql.Tests;

/// <summary>A database of its own on the test run's PostgreSQL server, for the shared ledger tests and the PostgreSQL-only ones.</summary>
internal sealed class PostgreSqlLedgerStore : LedgerStore
{
    public PostgreSqlLedgerStore(PostgreSqlServer server)
    {
        Server = server;
        ConnectionString = server.CreateSchema();
    }

    public PostgreSqlServer Server { get; }

    public string ConnectionString { get; }

    public override string Key => "ConnectionString";

    public override string Settings => $$"""
        "ConnectionString": "{{ConnectionString}}"
        """;

    public override void Add(HybridInferenceBuilder builder, IConfiguration section) => builder.AddPostgreSqlCostLedger(section);

    public override void AddWithoutKey(HybridInferenceBuilder builder) => builder.AddPostgreSqlCostLedger(_ => { });

    public override BatchedCostLedger Open(LedgerSetup setup) => new PostgreSqlCostLedger(
        new PostgreSqlCostLedgerOptions { ConnectionString = ConnectionString, QueueCapacity = setup.Capacity, FlushInterval = setup.Interval },
        setup.RetentionDays,
        setup.Time,
        setup.Logger,
        seams: new PostgreSqlCostLedgerSeams
        {
            ConnectionOpened = _ => setup.ThrowOpenFault(),
            RecordWriting = setup.ThrowRecordFault,
        });

    public override List<Dictionary<string, object?>> Rows()
    {
        var rows = new List<Dictionary<string, object?>>();
        using var connection = new NpgsqlConnection(ConnectionString + ";Pooling=false");
        connection.Open();
        using var exists = new NpgsqlCommand("SELECT to_regclass('cost_ledger_requests') IS NOT NULL", connection);
        if (!(bool)exists.ExecuteScalar()!)
        {
            return rows;
        }

        using var command = new NpgsqlCommand("SELECT * FROM cost_ledger_requests ORDER BY id", connection);
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var row = new Dictionary<string, object?>();
            for (var i = 0; i < reader.FieldCount; i++)
            {
                // As SQLite gives them: every integer a long, a flag 0 or 1.
                row[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i) switch
                {
                    int value => (long)value,
                    bool flag => flag ? 1L : 0L,
                    var value => value,
                };
            }

            rows.Add(row);
        }

        return rows;
    }

    /// <summary>PostgreSQL stores UTF-8 and its text holds no NUL: a lone surrogate and a NUL become U+FFFD; everything else is kept.</summary>
    public override string Stored(string text) => Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text)).Replace('\0', '\uFFFD');

    /// <summary>Runs <paramref name="sql"/> in this store's schema.</summary>
    public void Execute(string sql) => PostgreSqlServer.ExecuteOn(ConnectionString, sql);

    public override void SetSchemaVersion(int version) =>
        Execute($"INSERT INTO cost_ledger_schema (version, applied_by) VALUES ({version}, 'a newer version')");

    public override Exception DiskFull() => new PostgresException("could not extend file: No space left on device", "ERROR", "ERROR", PostgresErrorCodes.DiskFull);

    public override ValueTask DisposeAsync()
    {
        Server.DropSchema(ConnectionString);
        return ValueTask.CompletedTask;
    }
}
