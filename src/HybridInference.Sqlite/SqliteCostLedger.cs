using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace HybridInference.Sqlite;

/// <summary>
/// The SQLite cost ledger. Each finished request is queued (a bounded channel, never waited on) and written with the
/// others of its interval in one transaction by a background loop on <see cref="TimeProvider"/>; records older than
/// the retention period are pruned once an hour.
/// </summary>
internal sealed partial class SqliteCostLedger : IRouteOutcomeListener, ICostLedger, IDisposable, IAsyncDisposable
{
    private static readonly TimeSpan PruneEvery = TimeSpan.FromHours(1);

    private readonly Channel<RouteOutcome> _queue;
    private readonly string _connectionString;
    private readonly string _path;
    private readonly TimeSpan _flushInterval;
    private readonly TimeSpan _retention;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<RouteOutcome> _unwritten = [];
    private readonly int _capacity;
    private readonly Task _loop;
    private DateTimeOffset _lastPrune = DateTimeOffset.MinValue;
    private long _dropped;
    private int _disposed;

    public SqliteCostLedger(CostLedgerOptions options, int retentionDays, TimeProvider time, ILogger logger, IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.DatabasePath);
        _path = Path.GetFullPath(options.DatabasePath);
        _flushInterval = options.FlushInterval;
        _retention = TimeSpan.FromDays(retentionDays);
        _capacity = options.QueueCapacity;
        _time = time;
        _logger = logger;
        _queue = Channel.CreateBounded<RouteOutcome>(new BoundedChannelOptions(options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails at once, so a full queue is counted, never waited on.
            SingleReader = true,
        });

        Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        _connectionString = new SqliteConnectionStringBuilder { DataSource = _path, Pooling = true }.ToString();
        using (var connection = Open())
        {
            LedgerSchema.Apply(connection, _path);
        }

        if (meterFactory is not null)
        {
            // On the library's meter, so whatever already collects HybridInference's metrics sees it too.
            meterFactory.Create("HybridInference").CreateObservableCounter(
                "hybrid_inference.ledger.dropped", () => DroppedRecords, "{record}", "Cost-ledger records dropped because the write queue was full.");
        }

        _loop = Task.Run(RunAsync);
    }

    public long DroppedRecords => Interlocked.Read(ref _dropped);

    public void OnRequestFinished(RouteOutcome outcome)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        if (!_queue.Writer.TryWrite(outcome))
        {
            Interlocked.Increment(ref _dropped);
        }
    }

    public async Task FlushAsync(CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        await WriteQueuedAsync(cancellationToken).ConfigureAwait(false);
    }

    public async Task<CostLedgerSummary> SummarizeAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        if (to <= from)
        {
            throw new ArgumentException($"The end of the range ({to:O}) must be after its start ({from:O}).", nameof(to));
        }

        await FlushAsync(cancellationToken).ConfigureAwait(false);
        using var connection = Open();
        return await LedgerQueries.SummarizeAsync(connection, from, to, cancellationToken).ConfigureAwait(false);
    }

    private SqliteConnection Open()
    {
        var connection = new SqliteConnection(_connectionString);
        connection.Open();
        return connection;
    }

    private async Task RunAsync()
    {
        try
        {
            await PruneIfDueAsync(_stopping.Token).ConfigureAwait(false);
            while (true)
            {
                await Task.Delay(_flushInterval, _time, _stopping.Token).ConfigureAwait(false);
                await WriteQueuedAsync(_stopping.Token).ConfigureAwait(false);
                await PruneIfDueAsync(_stopping.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Stopping: the last records are written by DisposeAsync.
        }
    }

    /// <summary>
    /// Writes what is queued in one transaction. A failed write (a locked or full disk) keeps the records for the next
    /// interval, up to the queue's capacity; beyond it the oldest are dropped and counted.
    /// </summary>
    private async Task WriteQueuedAsync(CancellationToken cancellationToken)
    {
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            while (_queue.Reader.TryRead(out var outcome))
            {
                _unwritten.Add(outcome);
            }

            if (_unwritten.Count == 0)
            {
                return;
            }

            try
            {
                await InsertAsync(_unwritten).ConfigureAwait(false);
                _unwritten.Clear();
            }
            catch (SqliteException ex)
            {
                LogWriteFailed(_logger, _unwritten.Count, _path, ex.SqliteErrorCode, ex.Message);
                var excess = _unwritten.Count - _capacity;
                if (excess > 0)
                {
                    _unwritten.RemoveRange(0, excess);
                    Interlocked.Add(ref _dropped, excess);
                }
            }
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private async Task InsertAsync(List<RouteOutcome> outcomes)
    {
        using var connection = Open();
        using var transaction = connection.BeginTransaction();
        using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = """
            INSERT INTO requests (started_at_ms, category, route, decision, decision_reason, backend, model, input_tokens,
                output_tokens, cost_usd, cloud_baseline_usd, latency_ms, attempts, validation, validation_failures,
                escalation_reason, failed, output_committed)
            VALUES ($started, $category, $route, $decision, $reason, $backend, $model, $input, $output, $cost, $baseline,
                $latency, $attempts, $validation, $validationFailures, $escalation, $failed, $committed)
            """;
        var parameters = new[]
        {
            "$started", "$category", "$route", "$decision", "$reason", "$backend", "$model", "$input", "$output", "$cost",
            "$baseline", "$latency", "$attempts", "$validation", "$validationFailures", "$escalation", "$failed", "$committed",
        }.Select(name => insert.Parameters.Add(name, SqliteType.Text)).ToArray();
        await insert.PrepareAsync().ConfigureAwait(false);

        foreach (var outcome in outcomes)
        {
            object?[] values =
            [
                outcome.StartedAt.ToUnixTimeMilliseconds(),
                outcome.Category.ToString(),
                outcome.Target.ToString(),
                outcome.Decision.ToString(),
                outcome.DecisionReason.ToString(),
                outcome.Backend,
                outcome.Model,
                outcome.InputTokens,
                outcome.OutputTokens,
                outcome.CostUsd,
                outcome.CloudBaselineCostUsd,
                outcome.Duration.TotalMilliseconds,
                outcome.Attempts,
                Validation(outcome),
                outcome.ValidationFailures,
                outcome.EscalationReason.ToString(),
                outcome.Failed ? 1 : 0,
                outcome.OutputCommitted ? 1 : 0,
            ];
            for (var i = 0; i < values.Length; i++)
            {
                parameters[i].SqliteType = values[i] switch
                {
                    long or int => SqliteType.Integer,
                    double => SqliteType.Real,
                    _ => SqliteType.Text,
                };
                parameters[i].Value = values[i] ?? DBNull.Value;
            }

            await insert.ExecuteNonQueryAsync().ConfigureAwait(false);
        }

        await transaction.CommitAsync().ConfigureAwait(false);
    }

    /// <summary>The validation outcome: none (no JSON asked for), passed, retried (valid after failures) or failed.</summary>
    internal static string Validation(RouteOutcome outcome) => (outcome.JsonRequired, outcome.ValidationFailures, outcome.Failed) switch
    {
        (false, _, _) => "none",
        (true, 0, _) => "passed",
        (true, _, false) => "retried",
        (true, _, true) => "failed",
    };

    private async Task PruneIfDueAsync(CancellationToken cancellationToken)
    {
        var now = _time.GetUtcNow();
        if (now - _lastPrune < PruneEvery)
        {
            return;
        }

        _lastPrune = now;
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using var connection = Open();
            using var delete = connection.CreateCommand();
            delete.CommandText = "DELETE FROM requests WHERE started_at_ms < $cutoff";
            delete.Parameters.AddWithValue("$cutoff", (now - _retention).ToUnixTimeMilliseconds());
            var pruned = await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            if (pruned > 0)
            {
                LogPruned(_logger, pruned, _retention.TotalDays);
            }
        }
        catch (SqliteException ex)
        {
            LogWriteFailed(_logger, 0, _path, ex.SqliteErrorCode, ex.Message);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Stops the loop and writes what is still queued.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _queue.Writer.TryComplete();
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        await WriteQueuedAsync(CancellationToken.None).ConfigureAwait(false);
        _stopping.Dispose();
        _writeGate.Dispose();
        SqliteConnection.ClearPool(new SqliteConnection(_connectionString));
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    [LoggerMessage(1, LogLevel.Warning, "The cost ledger could not write {Count} records to {Path} (SQLite error {Code}: {Message}); they are kept for the next write.")]
    private static partial void LogWriteFailed(ILogger logger, int count, string path, int code, string message);

    [LoggerMessage(2, LogLevel.Information, "The cost ledger pruned {Count} records older than {Days} days.")]
    private static partial void LogPruned(ILogger logger, int count, double days);
}
