using System.Diagnostics.Metrics;
using System.Threading.Channels;
using HybridInference.Telemetry;
using Microsoft.Extensions.Logging;

namespace HybridInference.Cost;

/// <summary>
/// The write path every cost ledger shares, whatever its database: each finished request is queued (a bounded channel,
/// never waited on) and written with the others of its interval in one transaction by a background loop on
/// <see cref="TimeProvider"/>; records older than the retention period are pruned once an hour. A database package
/// (SQLite, PostgreSQL) supplies the insert, the prune and the summary queries.
/// </summary>
/// <remarks>
/// Nothing is lost silently. A record the database package reports as failed on its own is dropped, logged and counted
/// in <see cref="DroppedRecords"/>, and the others of its batch are written; a number that is not finite is written as
/// NULL (<see cref="Finite"/>). A failure of the write as a whole keeps the batch for the next interval, up to the
/// queue's capacity (the excess is dropped, logged and counted); at disposal a failed last write counts and logs its
/// records as lost. Shipped in lockstep with the database packages (internal, visible to them).
/// </remarks>
internal abstract partial class BatchedCostLedger : IRouteOutcomeListener, ICostLedger, IDisposable, IAsyncDisposable
{
    private static readonly TimeSpan PruneEvery = TimeSpan.FromHours(1);

    private readonly Channel<RouteOutcome> _queue;
    private readonly TimeSpan _flushInterval;
    private readonly TimeSpan _retention;
    private readonly int _capacity;
    private readonly SemaphoreSlim _writeGate = new(1, 1);
    private readonly CancellationTokenSource _stopping = new();
    private readonly List<RouteOutcome> _unwritten = [];
    private Task _loop = Task.CompletedTask;
    private DateTimeOffset _lastPrune = DateTimeOffset.MinValue;
    private long _dropped;
    private int _disposed;

    /// <param name="queueCapacity">How many records may wait for the next write.</param>
    /// <param name="flushInterval">How often the loop writes.</param>
    /// <param name="retentionDays">How long records are kept.</param>
    /// <param name="time">The clock of the loop and of pruning.</param>
    /// <param name="logger">Where writes, drops and prunes are reported.</param>
    /// <param name="database">The database as the log names it: a path, or host, port and name; never a secret.</param>
    protected BatchedCostLedger(int queueCapacity, TimeSpan flushInterval, int retentionDays, TimeProvider time, ILogger logger, string database)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(logger);
        _capacity = queueCapacity;
        _flushInterval = flushInterval;
        _retention = TimeSpan.FromDays(retentionDays);
        Time = time;
        Logger = logger;
        Database = database;
        _queue = Channel.CreateBounded<RouteOutcome>(new BoundedChannelOptions(queueCapacity)
        {
            FullMode = BoundedChannelFullMode.Wait, // TryWrite then fails at once, so a full queue is counted, never waited on.
            SingleReader = true,
        });
    }

    /// <summary>Gets the clock of the loop and of pruning.</summary>
    protected TimeProvider Time { get; }

    /// <summary>Gets the ledger's logger.</summary>
    protected ILogger Logger { get; }

    /// <summary>Gets the database as the log names it (a path, or host, port and name; never a password).</summary>
    protected string Database { get; }

    public long DroppedRecords => Interlocked.Read(ref _dropped);

    /// <summary>
    /// Prunes what is past the retention now, publishes <c>hybrid_inference.ledger.dropped</c> and starts the write loop.
    /// Called by the database package at the end of its constructor, once it can write.
    /// </summary>
    protected void Start(IMeterFactory? meterFactory)
    {
        // Here rather than on the loop, so nothing touches the database behind the caller's back once the ledger is built.
        PruneIfDueAsync(CancellationToken.None).GetAwaiter().GetResult();

        if (meterFactory is not null)
        {
            // On the library's meter, so whatever already collects HybridInference's metrics sees it too.
            meterFactory.Create(HybridInferenceTelemetry.MeterName).CreateObservableCounter(
                HybridInferenceTelemetry.LedgerDropped, () => DroppedRecords, "{record}",
                "Cost-ledger records dropped: the write queue was full, the record could not be written, or the ledger was disposed before it could.");
        }

        _loop = Task.Run(RunAsync);
    }

    /// <summary>
    /// Inserts <paramref name="outcomes"/> in one transaction. A record that fails on its own is left out and returned,
    /// to be counted and logged once the batch is committed.
    /// </summary>
    /// <returns>The records left out with their errors (null when none), and how many numbers were written as NULL.</returns>
    /// <exception cref="Exception">The write as a whole failed (nothing was committed); the records are all unwritten.</exception>
    protected abstract ValueTask<LedgerWriteResult> InsertAsync(List<RouteOutcome> outcomes, CancellationToken cancellationToken);

    /// <summary>Deletes the records of requests that started before <paramref name="cutoff"/>.</summary>
    /// <returns>How many were deleted.</returns>
    protected abstract Task<int> DeleteOlderThanAsync(DateTimeOffset cutoff, CancellationToken cancellationToken);

    /// <summary>Computes the summary of [<paramref name="from"/>, <paramref name="to"/>) from what is written.</summary>
    protected abstract Task<CostLedgerSummary> QueryAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken);

    /// <summary>Says, for the log, what an error of a write means (the database's own words follow).</summary>
    protected abstract string Describe(Exception exception);

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
        await WriteQueuedAsync(final: false, cancellationToken, cancellationToken).ConfigureAwait(false);
    }

    public async Task<CostLedgerSummary> SummarizeAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken = default)
    {
        if (to <= from)
        {
            throw new ArgumentException($"The end of the range ({to:O}) must be after its start ({from:O}).", nameof(to));
        }

        await FlushAsync(cancellationToken).ConfigureAwait(false);
        return await QueryAsync(from, to, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Runs <paramref name="action"/> while no write runs (for a database package that must open under the gate).</summary>
    protected async Task<T> UnderWriteGateAsync<T>(Func<T> action, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(action);
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return action();
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>A finite number as itself; NaN and infinities as NULL, counted (a sum over them would be lost).</summary>
    protected static object Finite(double value, ref int nonFinite)
    {
        if (double.IsFinite(value))
        {
            return value;
        }

        nonFinite++;
        return DBNull.Value;
    }

    /// <summary>The validation outcome: none (no JSON asked for), passed, retried (valid after failures) or failed.</summary>
    internal static string Validation(RouteOutcome outcome) => (outcome.JsonRequired, outcome.ValidationFailures, outcome.Failed) switch
    {
        (false, _, _) => "none",
        (true, 0, _) => "passed",
        (true, _, false) => "retried",
        (true, _, true) => "failed",
    };

    private async Task RunAsync()
    {
        try
        {
            while (true)
            {
                await Task.Delay(_flushInterval, Time, _stopping.Token).ConfigureAwait(false);
                try
                {
                    // The stop signal ends the wait for the gate, not an insert under way: that one finishes, or fails and is kept.
                    await WriteQueuedAsync(final: false, _stopping.Token, CancellationToken.None).ConfigureAwait(false);
                    await PruneIfDueAsync(_stopping.Token).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !_stopping.IsCancellationRequested)
                {
                    // Both handle their own failures (what escapes is a logger's); the last guard keeps the loop alive.
                    try
                    {
                        LogLoopFailed(Logger, ex);
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
    /// <param name="final">Whether this is the last write, at disposal.</param>
    /// <param name="waiting">Cancels the wait for another write to finish.</param>
    /// <param name="writing">Cancels the insert itself (a cancelled insert is a failed write: its records are kept).</param>
    private async Task WriteQueuedAsync(bool final, CancellationToken waiting, CancellationToken writing)
    {
        await _writeGate.WaitAsync(waiting).ConfigureAwait(false);
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

            LedgerWriteResult written;
            try
            {
                written = await InsertAsync(_unwritten, writing).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                // The list is settled before anything is logged, so a logger that throws changes nothing.
                var count = _unwritten.Count;
                if (final)
                {
                    Interlocked.Add(ref _dropped, count);
                    _unwritten.Clear();
                    LogRecordsLost(Logger, ex, count, Database, Describe(ex));
                    return;
                }

                var excess = count - _capacity;
                if (excess > 0)
                {
                    _unwritten.RemoveRange(0, excess);
                    Interlocked.Add(ref _dropped, excess);
                }

                LogWriteFailed(Logger, ex, count, Database, Describe(ex));
                if (excess > 0)
                {
                    LogExcessDropped(Logger, excess, _capacity);
                }

                return;
            }

            // Off the list before anything is logged: a logger that throws must not get committed records written twice.
            _unwritten.Clear();
            ReportWritten(written);
        }
        finally
        {
            _writeGate.Release();
        }
    }

    /// <summary>Counts and logs what a committed batch left out or changed; the batch is already off the unwritten list.</summary>
    private void ReportWritten(LedgerWriteResult written)
    {
        if (written.Failures is { } failures)
        {
            Interlocked.Add(ref _dropped, failures.Count);
            foreach (var (outcome, error) in failures)
            {
                LogRecordDropped(Logger, error, outcome.StartedAt, Database, Describe(error));
            }
        }

        if (written.NonFinite > 0)
        {
            LogNonFinite(Logger, written.NonFinite, Database);
        }

        if (written.ReplacedCharacters > 0)
        {
            LogCharactersReplaced(Logger, written.ReplacedCharacters, Database);
        }
    }

    private async Task PruneIfDueAsync(CancellationToken cancellationToken)
    {
        var now = Time.GetUtcNow();
        if (now - _lastPrune < PruneEvery)
        {
            return;
        }

        _lastPrune = now;
        await _writeGate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var pruned = await DeleteOlderThanAsync(now - _retention, cancellationToken).ConfigureAwait(false);
            if (pruned > 0)
            {
                LogPruned(Logger, pruned, _retention.TotalDays);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogPruneFailed(Logger, ex, Database, Describe(ex));
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
            await WriteQueuedAsync(final: true, CancellationToken.None, CancellationToken.None).ConfigureAwait(false);
        }
        finally
        {
            _stopping.Dispose();
            _writeGate.Dispose();
            await DisposeCoreAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Releases what the database package holds (a connection pool), after the last write.</summary>
    protected virtual ValueTask DisposeCoreAsync() => ValueTask.CompletedTask;

    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
