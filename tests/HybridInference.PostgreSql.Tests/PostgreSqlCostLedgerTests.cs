using Npgsql;

namespace HybridInference.PostgreSql.Tests;

/// <summary>
/// What only PostgreSQL does to the write path, on top of the shared ledger tests: a server killed and restarted while
/// the app runs, a record the server itself refuses, a table dropped by someone else, the server's own errors.
/// </summary>
[Collection(PostgreSqlCollection.Name)]
public sealed class PostgreSqlCostLedgerTests(PostgreSqlServer server)
{
    [Fact]
    public async Task ServerKilledMidRun_KeepsTheRecords_AndTheLoopWritesThemOnceItIsBack()
    {
        await using var ledger = LedgerUnderTest.Create(new PostgreSqlLedgerStore(server));
        ledger.Add(1);
        await ledger.Ledger.FlushAsync();

        server.Kill();
        try
        {
            ledger.Add(2, 3);
            await ledger.Ledger.FlushAsync();
            Assert.True(await ledger.AdvanceUntilAsync(() => ledger.Log.Lines.Count(l => l.Contains("kept for the next write", StringComparison.Ordinal)) >= 2), ledger.LogText);
        }
        finally
        {
            server.Start();
        }

        Assert.Equal(0, ledger.Ledger.DroppedRecords);
        Assert.Contains($"127.0.0.1:{server.Port}", ledger.LogText, StringComparison.Ordinal);
        ledger.Add(4);
        Assert.True(await ledger.AdvanceUntilAsync(() => ledger.WrittenSeconds().Count == 4), ledger.LogText);

        Assert.Equal([1L, 2L, 3L, 4L], ledger.WrittenSeconds());
        Assert.Equal(0, ledger.Ledger.DroppedRecords);
        Assert.DoesNotContain(server.Password, ledger.LogText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ServerKilled_FailedWritesKeepUpToTheCapacity_TheExcessIsCounted()
    {
        await using var ledger = LedgerUnderTest.Create(new PostgreSqlLedgerStore(server), capacity: 2);
        server.Kill();
        try
        {
            ledger.Add(1, 2);
            await ledger.Ledger.FlushAsync();
            ledger.Add(3, 4);
            await ledger.Ledger.FlushAsync();
        }
        finally
        {
            server.Start();
        }

        Assert.Equal(2, ledger.Ledger.DroppedRecords);
        await ledger.Ledger.FlushAsync();
        Assert.Equal([3L, 4L], ledger.WrittenSeconds());
    }

    [Fact]
    public async Task ServerKilled_WhenTheLedgerIsDisposed_CountsAndLogsTheRecordsAsLost()
    {
        await using var ledger = LedgerUnderTest.Create(new PostgreSqlLedgerStore(server));
        ledger.Add(1, 2, 3);
        server.Kill();
        try
        {
            await ledger.Ledger.DisposeAsync();
        }
        finally
        {
            server.Start();
        }

        Assert.Equal(3, ledger.Ledger.DroppedRecords);
        Assert.Contains("lost 3 records when it was disposed", ledger.LogText, StringComparison.Ordinal);
        Assert.Empty(ledger.Rows());
    }

    [Fact]
    public async Task Write_ARecordTheServerRefuses_IsDroppedCountedAndLogged_TheOthersAreWritten()
    {
        await using var ledger = LedgerUnderTest.Create(new PostgreSqlLedgerStore(server));
        ((PostgreSqlLedgerStore)ledger.Store).Execute("ALTER TABLE cost_ledger_requests ADD CONSTRAINT no_poison CHECK (backend <> 'poison')");
        ledger.Add(1);
        ledger.Ledger.OnRequestFinished(LedgerUnderTest.Record(2, backend: "poison"));
        ledger.Add(3);

        await ledger.Ledger.FlushAsync();

        Assert.Equal([1L, 3L], ledger.WrittenSeconds());
        Assert.Equal(1, ledger.Ledger.DroppedRecords);
        Assert.Contains($"dropped a record of a request started at {LedgerUnderTest.At(2):O}", ledger.LogText, StringComparison.Ordinal);
        Assert.Contains("PostgreSQL error 23514", ledger.LogText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Write_AfterTheTableIsDropped_CreatesItAgain_LogsIt_AndWritesThere()
    {
        await using var ledger = LedgerUnderTest.Create(new PostgreSqlLedgerStore(server));
        ledger.Add(1);
        await ledger.Ledger.FlushAsync();
        ((PostgreSqlLedgerStore)ledger.Store).Execute("DROP TABLE cost_ledger_requests");

        ledger.Add(2);
        await ledger.Ledger.FlushAsync();

        Assert.Equal([2L], ledger.WrittenSeconds());
        Assert.Equal(0, ledger.Ledger.DroppedRecords);
        Assert.Contains("table of requests was dropped", ledger.LogText, StringComparison.Ordinal);
    }

    public static TheoryData<Exception> ServerFailures() => new()
    {
        new PostgresException("terminating connection due to administrator command", "FATAL", "FATAL", PostgresErrorCodes.AdminShutdown),
        new PostgresException("sorry, too many clients already", "FATAL", "FATAL", PostgresErrorCodes.TooManyConnections),
        new PostgresException("could not serialize access", "ERROR", "ERROR", PostgresErrorCodes.SerializationFailure),
        new PostgresException("cannot execute INSERT in a read-only transaction", "ERROR", "ERROR", PostgresErrorCodes.ReadOnlySqlTransaction),
        new NpgsqlException("Exception while reading from stream", new IOException("connection reset")),
    };

    [Theory]
    [MemberData(nameof(ServerFailures))]
    public async Task Write_ThatFailsAsAWholeWithAServerError_IsLoggedAndKept_AndTheNextWriteStoresEverything(Exception failure)
    {
        await LedgerFaultChecks.WholeWriteFailureIsKeptAsync(new PostgreSqlLedgerStore(server), failure);
    }

}
