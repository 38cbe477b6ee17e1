using System.Diagnostics.Metrics;
using HybridInference.Cost;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace HybridInference.Sqlite;

/// <summary>
/// The SQLite cost ledger: the shared write path (<see cref="BatchedCostLedger"/>: a bounded queue, batches in one
/// transaction on <see cref="TimeProvider"/>, pruning once an hour) over one database file.
/// </summary>
/// <remarks>
/// A record that cannot be written (a SQLite error about that record, or any other exception while it is written) is
/// dropped, logged and counted, and the others of its batch are written. A failure of the database as a whole (locked,
/// full, read-only, corrupt) keeps the batch for the next interval. Every write opens the path afresh and checks the
/// database's instance id, so a file deleted or replaced while running is noticed, logged and replaced by a new ledger
/// rather than written through a handle to the old one.
/// </remarks>
internal sealed partial class SqliteCostLedger : BatchedCostLedger
{
    private readonly string _connectionString;
    private readonly string _path;
    private readonly SqliteCostLedgerSeams? _seams;
    private string _instance;

    /// <exception cref="InvalidOperationException">The path cannot hold the ledger; the message names it and why.</exception>
    public SqliteCostLedger(
        CostLedgerOptions options, int retentionDays, TimeProvider time, ILogger logger, IMeterFactory? meterFactory = null, SqliteCostLedgerSeams? seams = null)
        : base(options.QueueCapacity, options.FlushInterval, retentionDays, time, logger, FullPath(options))
    {
        _path = Database;
        _seams = seams;
        var busyTimeoutSeconds = Math.Max(1, seams?.BusyTimeoutSeconds ?? LedgerDatabase.DefaultBusyTimeoutSeconds);
        _connectionString = LedgerDatabase.ConnectionString(_path, busyTimeoutSeconds);
        _instance = LedgerDatabase.Prepare(_path, busyTimeoutSeconds);
        Start(meterFactory);
    }

    protected override ValueTask<LedgerWriteResult> InsertAsync(List<RouteOutcome> outcomes, CancellationToken cancellationToken) =>
        ValueTask.FromResult(Insert(outcomes));

    protected override async Task<int> DeleteOlderThanAsync(DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        using var connection = OpenCurrent();
        using var delete = connection.CreateCommand();
        delete.CommandText = "DELETE FROM requests WHERE started_at_ms < $cutoff";
        delete.Parameters.AddWithValue("$cutoff", cutoff.ToUnixTimeMilliseconds());
        return await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task<CostLedgerSummary> QueryAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        using var connection = await UnderWriteGateAsync(OpenCurrent, cancellationToken).ConfigureAwait(false);
        return await LedgerQueries.SummarizeAsync(connection, from, to, cancellationToken).ConfigureAwait(false);
    }

    protected override string Describe(Exception exception) => exception switch
    {
        SqliteException sqlite => $"the database {LedgerDatabase.Describe(sqlite)}",
        _ => $"{exception.GetType().Name}: {exception.Message}",
    };

    private static string FullPath(CostLedgerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.DatabasePath);
        return Path.GetFullPath(options.DatabasePath);
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
                    LogDatabaseDeleted(Logger, _path);
                }
                else if (!same)
                {
                    LogDatabaseReplaced(Logger, _path);
                }
                else
                {
                    LogTableDropped(Logger, _path);
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

    [LoggerMessage(6, LogLevel.Warning, "The cost ledger database {Path} was deleted while running; a new one is created there.")]
    private static partial void LogDatabaseDeleted(ILogger logger, string path);

    [LoggerMessage(7, LogLevel.Warning, "The cost ledger database {Path} was replaced by another file while running; the ledger writes to the file now at the path.")]
    private static partial void LogDatabaseReplaced(ILogger logger, string path);

    [LoggerMessage(11, LogLevel.Warning, "The cost ledger's table of requests was dropped from {Path} while running; it is created again.")]
    private static partial void LogTableDropped(ILogger logger, string path);
}
