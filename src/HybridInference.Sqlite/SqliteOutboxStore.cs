using System.Globalization;
using HybridInference.Refinement;
using Microsoft.Data.Sqlite;

namespace HybridInference.Sqlite;

/// <summary>
/// The durable outbox: each item is a row of <c>outbox</c>, written (fully synced) before the draft it refines (or the
/// response that says the work was deferred) is returned, read oldest first by the worker, and marked delivered, expired or failed when it ends; ended rows lose
/// their prompt and draft at once and are deleted after <c>Observability:RetentionDays</c>. A second process that opens
/// the same file finds what the first left waiting.
/// </summary>
internal sealed class SqliteOutboxStore : IOutboxStore
{
    private const string Waiting = "'waiting'";
    private readonly string _connectionString;

    /// <exception cref="InvalidOperationException">The path cannot hold the outbox; the message names it and why.</exception>
    public SqliteOutboxStore(SqliteOutboxOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.DatabasePath);
        Path = System.IO.Path.GetFullPath(options.DatabasePath);
        _connectionString = ConnectionString(Path);
        OutboxSchema.Apply(_connectionString, Path);
    }

    /// <summary>Gets the database file's full path.</summary>
    public string Path { get; }

    public bool Durable => true;

    public static string ConnectionString(string fullPath) => new SqliteConnectionStringBuilder
    {
        DataSource = fullPath,
        Mode = SqliteOpenMode.ReadWriteCreate,
        DefaultTimeout = LedgerDatabase.DefaultBusyTimeoutSeconds,
    }.ToString();

    public long? TryAdd(OutboxItem item, int capacity)
    {
        using var connection = OutboxSchema.Open(_connectionString);
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            INSERT INTO outbox (request_id, kind, category, queued_at_ms, draft, draft_cost_usd, messages, next_attempt_at_ms, settings)
            SELECT $request, $kind, $category, $queued, $draft, $cost, $messages, $next, $settings
            WHERE (SELECT COUNT(*) FROM outbox WHERE state = {Waiting}) < $capacity
            RETURNING id;
            """;
        command.Parameters.AddWithValue("$request", item.RequestId);
        command.Parameters.AddWithValue("$kind", item.Kind == OutboxKind.Deferred ? "deferred" : "refinement");
        command.Parameters.AddWithValue("$settings", (object?)item.Settings ?? DBNull.Value);
        command.Parameters.AddWithValue("$category", (int)item.Category);
        command.Parameters.AddWithValue("$queued", item.QueuedAt.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$draft", item.Draft);
        command.Parameters.AddWithValue("$cost", double.IsFinite(item.DraftCostUsd) ? item.DraftCostUsd : DBNull.Value);
        command.Parameters.AddWithValue("$messages", item.Messages);
        command.Parameters.AddWithValue("$next", item.NextAttemptAt.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$capacity", capacity);
        return command.ExecuteScalar() is long id ? id : null;
    }

    public IReadOnlyList<OutboxItem> ReadWaiting(int count)
    {
        using var connection = OutboxSchema.Open(_connectionString);
        using var command = connection.CreateCommand();
        command.CommandText = $"""
            SELECT id, request_id, category, queued_at_ms, draft, draft_cost_usd, messages, sends, refusals, next_attempt_at_ms, kind, settings
            FROM outbox WHERE state = {Waiting} ORDER BY id LIMIT $count;
            """;
        command.Parameters.AddWithValue("$count", count);
        return Read(command);
    }

    public void Reschedule(long id, int sends, int refusals, DateTimeOffset nextAttemptAt) => Execute(
        $"UPDATE outbox SET sends = $sends, refusals = $refusals, next_attempt_at_ms = $next WHERE id = $id AND state = {Waiting};",
        ("$id", id), ("$sends", sends), ("$refusals", refusals), ("$next", nextAttemptAt.ToUnixTimeMilliseconds()));

    public void Finish(long id, OutboxEnding ending, int sends, DateTimeOffset at, string? reason) => Execute(
        $"UPDATE outbox SET state = $state, sends = $sends, ended_at_ms = $at, reason = $reason, draft = '', messages = '', settings = NULL WHERE id = $id AND state = {Waiting};",
        ("$id", id), ("$state", StateName(ending)), ("$sends", sends), ("$at", at.ToUnixTimeMilliseconds()), ("$reason", (object?)reason ?? DBNull.Value));

    public IReadOnlyList<OutboxItem> ExpireQueuedBefore(DateTimeOffset cutoff, DateTimeOffset at)
    {
        using var connection = OutboxSchema.Open(_connectionString);
        using var command = connection.CreateCommand();

        // RETURNING gives the rows as they were before the update, draft included.
        command.CommandText = $"""
            UPDATE outbox SET state = 'expired', ended_at_ms = $at, reason = 'age', draft = '', messages = '', settings = NULL
            WHERE state = {Waiting} AND queued_at_ms < $cutoff
            RETURNING id, request_id, category, queued_at_ms, draft, draft_cost_usd, messages, sends, refusals, next_attempt_at_ms, kind, settings;
            """;
        command.Parameters.AddWithValue("$cutoff", cutoff.ToUnixTimeMilliseconds());
        command.Parameters.AddWithValue("$at", at.ToUnixTimeMilliseconds());
        var items = Read(command);
        items.Sort(static (a, b) => a.Id.CompareTo(b.Id));
        return items;
    }

    (long Count, DateTimeOffset? Oldest) IOutboxStore.Waiting()
    {
        using var connection = OutboxSchema.Open(_connectionString);
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*), MIN(queued_at_ms) FROM outbox WHERE state = {Waiting};";
        using var reader = command.ExecuteReader();
        reader.Read();
        return (reader.GetInt64(0), reader.IsDBNull(1) ? null : DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)));
    }

    public void PruneEndedBefore(DateTimeOffset cutoff) => Execute(
        $"DELETE FROM outbox WHERE state <> {Waiting} AND ended_at_ms < $cutoff;", ("$cutoff", cutoff.ToUnixTimeMilliseconds()));

    private static string StateName(OutboxEnding ending) => ending switch
    {
        OutboxEnding.Delivered => "delivered",
        OutboxEnding.Expired => "expired",
        _ => "failed",
    };

    private static List<OutboxItem> Read(SqliteCommand command)
    {
        var items = new List<OutboxItem>();
        using var reader = command.ExecuteReader();
        while (reader.Read())
        {
            items.Add(new OutboxItem(
                reader.GetInt64(0),
                reader.GetString(1),
                (TaskCategory)reader.GetInt32(2),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(3)),
                reader.GetString(4),
                reader.IsDBNull(5) ? double.NaN : reader.GetDouble(5),
                reader.GetString(6),
                reader.GetInt32(7),
                reader.GetInt32(8),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(9)),
                reader.GetString(10) == "deferred" ? OutboxKind.Deferred : OutboxKind.Refinement,
                reader.IsDBNull(11) ? null : reader.GetString(11)));
        }

        return items;
    }

    private void Execute(string sql, params (string Name, object Value)[] parameters)
    {
        using var connection = OutboxSchema.Open(_connectionString);
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        foreach (var (name, value) in parameters)
        {
            command.Parameters.AddWithValue(name, value);
        }

        command.ExecuteNonQuery();
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"SQLite outbox {Path}");
}
