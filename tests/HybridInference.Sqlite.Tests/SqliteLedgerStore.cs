using System.Text;
using HybridInference.Cost;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Configuration;

namespace HybridInference.Sqlite.Tests;

/// <summary>A SQLite ledger file in a temporary folder of its own, for the shared ledger tests and the SQLite-only ones.</summary>
internal sealed class SqliteLedgerStore : LedgerStore
{
    public string Folder { get; } = Path.Combine(Path.GetTempPath(), "hi-ledger-" + Guid.NewGuid().ToString("N"));

    public string DatabasePath => Path.Combine(Folder, "costs.db");

    /// <summary>Gets a callback run on each connection the ledger opens for a write (to lower a SQLite limit).</summary>
    public Action<SqliteConnection>? ConnectionOpened { get; init; }

    public override string Key => "DatabasePath";

    public override string Settings => $$"""
        "DatabasePath": "{{DatabasePath.Replace("\\", "/", StringComparison.Ordinal)}}"
        """;

    public override void Add(HybridInferenceBuilder builder, IConfiguration section) => builder.AddSqliteCostLedger(section);

    public override void AddWithoutKey(HybridInferenceBuilder builder) => builder.AddSqliteCostLedger(_ => { });

    public override BatchedCostLedger Open(LedgerSetup setup) => new SqliteCostLedger(
        new CostLedgerOptions { DatabasePath = DatabasePath, QueueCapacity = setup.Capacity, FlushInterval = setup.Interval },
        setup.RetentionDays,
        setup.Time,
        setup.Logger,
        seams: new SqliteCostLedgerSeams
        {
            BusyTimeoutSeconds = 1,
            ConnectionOpened = connection =>
            {
                ConnectionOpened?.Invoke(connection);
                setup.ThrowOpenFault();
            },
            RecordWriting = setup.ThrowRecordFault,
        });

    public override List<Dictionary<string, object?>> Rows() => ReadRows(DatabasePath);

    /// <summary>SQLite stores UTF-8: a lone surrogate, which UTF-8 cannot carry, becomes U+FFFD; everything else is kept.</summary>
    public override string Stored(string text) => Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text));

    public override void SetSchemaVersion(int version)
    {
        using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"PRAGMA user_version = {version};";
        command.ExecuteNonQuery();
    }

    public override Exception DiskFull() => new SqliteException("database or disk is full", 13);

    public static List<Dictionary<string, object?>> ReadRows(string path)
    {
        var rows = new List<Dictionary<string, object?>>();
        if (!File.Exists(path))
        {
            return rows;
        }

        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "SELECT * FROM requests ORDER BY id";
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            var row = new Dictionary<string, object?>();
            for (var i = 0; i < reader.FieldCount; i++)
            {
                row[reader.GetName(i)] = reader.IsDBNull(i) ? null : reader.GetValue(i);
            }

            rows.Add(row);
        }

        return rows;
    }

    public override ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(Folder))
        {
            Directory.Delete(Folder, recursive: true);
        }

        return ValueTask.CompletedTask;
    }
}
