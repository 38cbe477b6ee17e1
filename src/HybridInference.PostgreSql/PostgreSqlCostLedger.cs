using System.Diagnostics.Metrics;
using HybridInference.Cost;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace HybridInference.PostgreSql;

/// <summary>
/// The PostgreSQL cost ledger: the shared write path (<see cref="BatchedCostLedger"/>: a bounded queue, batches in one
/// transaction on <see cref="TimeProvider"/>, pruning once an hour) over one database that every replica writes to.
/// </summary>
/// <remarks>
/// A record the server refuses on its own (its data, a constraint: SQLSTATE classes 22 and 23), or one that throws
/// anything while it is prepared, is dropped, logged and counted, and the others of its batch are written. Any other
/// failure (the server gone, restarting, out of disk, a lock, a refused login) fails the whole write: the batch is kept
/// for the next interval and the idle connections are cleared, so the next write opens fresh ones. A table of requests
/// dropped while running is created again, logged, and the write goes on.
/// </remarks>
internal sealed partial class PostgreSqlCostLedger : BatchedCostLedger
{
    private readonly PostgreSqlLedgerDatabase _database;
    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgreSqlCostLedgerSeams? _seams;

    /// <exception cref="InvalidOperationException">The database cannot hold the ledger; the message names the server and why, never the password.</exception>
    public PostgreSqlCostLedger(
        PostgreSqlCostLedgerOptions options, int retentionDays, TimeProvider time, ILogger logger, IMeterFactory? meterFactory = null, PostgreSqlCostLedgerSeams? seams = null)
        : this(Parse(options), options, retentionDays, time, logger, meterFactory, seams)
    {
    }

    private PostgreSqlCostLedger(
        PostgreSqlLedgerDatabase database, PostgreSqlCostLedgerOptions options, int retentionDays, TimeProvider time, ILogger logger, IMeterFactory? meterFactory, PostgreSqlCostLedgerSeams? seams)
        : base(options.QueueCapacity, options.FlushInterval, retentionDays, time, logger, database.Display)
    {
        _database = database;
        _seams = seams;
        _dataSource = database.CreateDataSource();
        try
        {
            database.PrepareAsync(_dataSource, CancellationToken.None).GetAwaiter().GetResult();
            Start(meterFactory);
        }
        catch
        {
            _dataSource.Dispose();
            throw;
        }
    }

    protected override async ValueTask<LedgerWriteResult> InsertAsync(List<RouteOutcome> outcomes, CancellationToken cancellationToken)
    {
        try
        {
            try
            {
                return await InsertOnceAsync(outcomes, cancellationToken).ConfigureAwait(false);
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UndefinedTable)
            {
                LogTableDropped(Logger, Database);
                var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
                await using (connection.ConfigureAwait(false))
                {
                    await PostgreSqlLedgerSchema.ApplyAsync(connection, Database, cancellationToken).ConfigureAwait(false);
                }

                return await InsertOnceAsync(outcomes, cancellationToken).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is NpgsqlException or IOException or TimeoutException)
        {
            // Idle connections may be dead too (a restarted server): the next write opens fresh ones.
            _dataSource.Clear();
            throw;
        }
    }

    protected override async Task<int> DeleteOlderThanAsync(DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        var connection = await OpenAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionLease = connection.ConfigureAwait(false);
        using var delete = new NpgsqlCommand("DELETE FROM cost_ledger_requests WHERE started_at_ms < $1", connection)
        {
            Parameters = { new() { Value = cutoff.ToUnixTimeMilliseconds() } },
        };
        return await delete.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    protected override async Task<CostLedgerSummary> QueryAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        await using var connectionLease = connection.ConfigureAwait(false);
        return await PostgreSqlLedgerQueries.SummarizeAsync(connection, from, to, cancellationToken).ConfigureAwait(false);
    }

    protected override string Describe(Exception exception) => $"the database {_database.Describe(exception)}";

    protected override ValueTask DisposeCoreAsync() => _dataSource.DisposeAsync();

    private static PostgreSqlLedgerDatabase Parse(PostgreSqlCostLedgerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.ConnectionString);
        return PostgreSqlLedgerDatabase.Parse(options.ConnectionString);
    }

    private async Task<NpgsqlConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            _seams?.ConnectionOpened?.Invoke(connection);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    [LoggerMessage(12, LogLevel.Warning, "The cost ledger's table of requests was dropped from {Database} while running; it is created again.")]
    private static partial void LogTableDropped(ILogger logger, string database);
}
