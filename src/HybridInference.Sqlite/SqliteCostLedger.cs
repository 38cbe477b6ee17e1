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
/// <remarks>
/// Nothing is lost silently. A record that cannot be written (a SQLite error about that record, or any other
/// exception while it is written) is dropped, logged and counted in <see cref="DroppedRecords"/>, and the others of its
/// batch are written; a number that is not finite is written as NULL. A failure of the database as a whole (locked,
/// full, read-only, corrupt) keeps the batch for the next interval, up to the queue's capacity (the excess is dropped,
/// logged and counted); at disposal a failed last write counts and logs its records as lost. Every write opens the
/// path afresh and checks the database's instance id, so a file deleted or replaced while running is noticed, logged
/// and replaced by a new ledger rather than written through a handle to the old one.
/// </remarks>
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
    private readonly SqliteCostLedgerSeams? _seams;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<RouteOutcome> _unwritten = [];
    private readonly int _capacity;
    private readonly int _busyTimeoutSeconds;
    private readonly Task _loop;
    private string _instance;
    private DateTimeOffset _lastPrune = DateTimeOffset.MinValue;
    private long _dropped;
    private int _disposed;

    /// <exception cref="InvalidOperationException">The path cannot hold the ledger; the message names it and why.</exception>
    public SqliteCostLedger(
        CostLedgerOptions options, int retentionDays, TimeProvider time, ILogger logger, IMeterFactory? meterFactory = null, SqliteCostLedgerSeams? seams = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.DatabasePath);
        _path = Path.GetFullPath(options.DatabasePath);
        _flushInterval = options.FlushInterval;
        _retention = TimeSpan.FromDays(retentionDays);
        _capacity = options.QueueCapacity;
        _time = time;
        _logger = logger;
        _seams = seams;
        _busyTimeoutSeconds = Math.Max(1, seams?.BusyTimeoutSeconds ?? LedgerDatabase.DefaultBusyTimeoutSeconds);
        _queue = Channel.CreateBounded<RouteOutcome>(new BoundedChannelOptions(options.QueueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails at once, so a full queue is counted, never waited on.
            SingleReader = true,
        });

        _connectionString = LedgerDatabase.ConnectionString(_path, _busyTimeoutSeconds);
        _instance = LedgerDatabase.Prepare(_path, _busyTimeoutSeconds);

        // Here rather than on the loop, so nothing opens the file behind the caller's back once the ledger is built.
        PruneIfDueAsync(CancellationToken.None).GetAwaiter().GetResult();

        if (meterFactory is not null)
        {
            // On the library's meter, so whatever already collects HybridInference's metrics sees it too.
            meterFactory.Create("HybridInference").CreateObservableCounter(
                "hybrid_inference.ledger.dropped", () => DroppedRecords, "{record}",
                "Cost-ledger records dropped: the write queue was full, the record could not be written, or the ledger was disposed before it could.");
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
        await WriteQueuedAsync(final: false, cancellationToken).ConfigureAwait(false);
    }

    public async Task<CostLedgerSummary> SummarizeAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        if (to <= from)
        {
            throw new ArgumentException($"The end of the range ({to:O}) must be after its start ({from:O}).", nameof(to));
        }

        await FlushAsync(cancellationToken).ConfigureAwait(false);
        SqliteConnection connection;
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            connection = OpenCurrent();
        }
        finally
        {
            _writeGate.Release();
        }

        using (connection)
        {
            return await LedgerQueries.SummarizeAsync(connection, from, to, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Opens the file now at the path, under the write gate. A file that is gone, or is not the one the ledger created
    /// (another instance id, or none), was deleted or replaced while running: that is logged and the file at the path is
    /// made a ledger (created when missing), so records never go to an unlinked file.
    /// </summary>
    private SqliteConnection OpenCurrent()
    {
        var existed = File.Exists(_path);
        if (!existed)
        {
            Directory.CreateDirectory(Path.GetDirectoryName(_path)!);
        }

        var connection = new SqliteConnection(_connectionString);
        try
        {
            connection.Open();
            _seams?.ConnectionOpened?.Invoke(connection);
            var (instance, hasRequests) = existed ? LedgerSchema.ReadIdentity(connection) : (null, false);
            var same = string.Equals(instance, _instance, StringComparison.Ordinal);
            if (!same || !hasRequests)
            {
                if (!existed)
                {
                    LogDatabaseDeleted(_logger, _path);
                }
                else if (!same)
                {
                    LogDatabaseReplaced(_logger, _path);
                }
                else
                {
                    LogTableDropped(_logger, _path);
                }

                _instance = LedgerSchema.Apply(connection, _path);
            }

            return connection;
        }
        catch
        {
            connection.Dispose();
            throw;
        }
    }

    private async Task RunAsync()
    {
        try
        {
            while (true)
            {
                await Task.Delay(_flushInterval, _time, _stopping.Token).ConfigureAwait(false);
                try
                {
                    await WriteQueuedAsync(final: false, _stopping.Token).ConfigureAwait(false);
                    await PruneIfDueAsync(_stopping.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !_stopping.IsCancellationRequested)
                {
                    // Both handle their own failures (what escapes is a logger's); the last guard keeps the loop alive.
                    try
                    {
                        LogLoopFailed(_logger, ex);
                    }
                    catch (Exception)
                    {
                        // The logger itself fails: there is nowhere left to report to, and the records are safe.
                    }
                }
            }
        }
        catch (OperationCanceledException) when (_stopping.IsCancellationRequested)
        {
            // Stopping: the last records are written by DisposeAsync.
        }
    }

    /// <summary>
    /// Writes what is queued in one transaction. A record that fails is dropped and counted, the rest are written; a
    /// failure of the whole write keeps the records for the next one, up to the queue's capacity, or, on the
    /// <paramref name="final"/> write at disposal, counts and logs them as lost.
    /// </summary>
    private async Task WriteQueuedAsync(bool final, CancellationToken cancellationToken)
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

            (List<(RouteOutcome, Exception)>? Failures, int NonFinite) written;
            try
            {
                written = Insert(_unwritten);
            }
            catch (Exception ex)
            {
                // The list is settled before anything is logged, so a logger that throws changes nothing.
                var count = _unwritten.Count;
                if (final)
                {
                    Interlocked.Add(ref _dropped, count);
                    _unwritten.Clear();
                    LogRecordsLost(_logger, ex, count, _path, Describe(ex));
                    return;
                }

                var excess = count - _capacity;
                if (excess > 0)
                {
                    _unwritten.RemoveRange(0, excess);
                    Interlocked.Add(ref _dropped, excess);
                }

                LogWriteFailed(_logger, ex, count, _path, Describe(ex));
                if (excess > 0)
                {
                    LogExcessDropped(_logger, excess, _capacity);
                }

                return;
            }

            // Off the list before anything is logged: a logger that throws must not get committed records written twice.
            _unwritten.Clear();
            ReportWritten(written.Failures, written.NonFinite);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    private static string Describe(Exception exception) => exception switch
    {
        SqliteException sqlite => $"the database {LedgerDatabase.Describe(sqlite)}",
        _ => $"{exception.GetType().Name}: {exception.Message}",
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
            using var connection = OpenCurrent();
            using var delete = connection.CreateCommand();
            delete.CommandText = "DELETE FROM requests WHERE started_at_ms < $cutoff";
            delete.Parameters.AddWithValue("$cutoff", (now - _retention).ToUnixTimeMilliseconds());
            var pruned = await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
            if (pruned > 0)
            {
                LogPruned(_logger, pruned, _retention.TotalDays);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogPruneFailed(_logger, ex, _path, Describe(ex));
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Stops the loop and writes what is still queued; what that last write cannot store is counted and logged as lost.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _queue.Writer.TryComplete();
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        try
        {
            await WriteQueuedAsync(final: true, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _stopping.Dispose();
            _writeGate.Dispose();
        }
    }

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    [LoggerMessage(1, LogLevel.Warning, "The cost ledger could not write {Count} records to {Path}: {Error}. They are kept for the next write.")]
    private static partial void LogWriteFailed(ILogger logger, Exception exception, int count, string path, string error);

    [LoggerMessage(2, LogLevel.Information, "The cost ledger pruned {Count} records older than {Days} days.")]
    private static partial void LogPruned(ILogger logger, int count, double days);

    [LoggerMessage(3, LogLevel.Error, "The cost ledger dropped a record of a request started at {StartedAt:O} that it could not write to {Path}: {Error}. The other records are written.")]
    private static partial void LogRecordDropped(ILogger logger, Exception exception, DateTimeOffset startedAt, string path, string error);

    [LoggerMessage(4, LogLevel.Error, "The cost ledger dropped the {Count} oldest unwritten records: after a failed write more than the queue's capacity of {Capacity} were waiting.")]
    private static partial void LogExcessDropped(ILogger logger, int count, int capacity);

    [LoggerMessage(5, LogLevel.Error, "The cost ledger lost {Count} records when it was disposed: the last write to {Path} failed ({Error}).")]
    private static partial void LogRecordsLost(ILogger logger, Exception exception, int count, string path, string error);

    [LoggerMessage(6, LogLevel.Warning, "The cost ledger database {Path} was deleted while running; a new one is created there.")]
    private static partial void LogDatabaseDeleted(ILogger logger, string path);

    [LoggerMessage(7, LogLevel.Warning, "The cost ledger database {Path} was replaced by another file while running; the ledger writes to the file now at the path.")]
    private static partial void LogDatabaseReplaced(ILogger logger, string path);

    [LoggerMessage(8, LogLevel.Warning, "The cost ledger wrote {Count} values that were not finite numbers (NaN or infinity) as NULL in {Path}.")]
    private static partial void LogNonFinite(ILogger logger, int count, string path);

    [LoggerMessage(9, LogLevel.Warning, "The cost ledger could not prune old records in {Path}: {Error}. It tries again in an hour.")]
    private static partial void LogPruneFailed(ILogger logger, Exception exception, string path, string error);

    [LoggerMessage(10, LogLevel.Error, "The cost ledger's write loop failed; it goes on at the next interval.")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(11, LogLevel.Warning, "The cost ledger's table of requests was dropped from {Path} while running; it is created again.")]
    private static partial void LogTableDropped(ILogger logger, string path);
}
