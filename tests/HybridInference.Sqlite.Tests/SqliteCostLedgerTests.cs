using Microsoft.Data.Sqlite;

namespace HybridInference.Sqlite.Tests;

/// <summary>
/// What only SQLite does to the write path (its own errors, its limits, its locks), on top of the shared ledger tests
/// (<see cref="SqliteCostLedgerWriterContractTests"/>): every failure ends as a row, or as a logged, counted drop.
/// </summary>
public sealed partial class SqliteCostLedgerTests
{
    public static TheoryData<Exception> RecordFailures() => new()
    {
        new SqliteException("constraint failed", 19),
        new SqliteException("string or blob too big", 18),
        new SqliteException("datatype mismatch", 20),
    };

    [Theory]
    [MemberData(nameof(RecordFailures))]
    public async Task Write_ARecordThatFailsWithASqliteError_IsDroppedCountedAndLogged_TheOthersAreWritten(Exception failure)
    {
        await LedgerFaultChecks.RecordFailureIsDroppedAloneAsync(new SqliteLedgerStore(), failure);
    }


    [Fact]
    public async Task Write_ATextLongerThanSQLiteTakes_IsDroppedCountedAndLogged_TheOthersAreWritten()
    {
        // The real SQLITE_TOOBIG, with the length limit lowered on the ledger's connections (the default is 1e9 bytes).
        await using var ledger = LedgerUnderTest.Create(new SqliteLedgerStore
        {
            ConnectionOpened = connection => SQLitePCL.raw.sqlite3_limit(connection.Handle, SQLitePCL.raw.SQLITE_LIMIT_LENGTH, 20_000),
        });
        ledger.Add(1);
        ledger.Ledger.OnRequestFinished(LedgerUnderTest.Record(2, model: new string('m', 50_000)));
        ledger.Add(3);

        await ledger.Ledger.FlushAsync();

        Assert.True(ledger.WrittenSeconds().SequenceEqual([1L, 3L]), ledger.LogText);
        Assert.Equal(1, ledger.Ledger.DroppedRecords);
        Assert.Contains("SQLite error 18", ledger.LogText, StringComparison.Ordinal);
    }

    public static TheoryData<Exception> WriteFailures() => new()
    {
        new SqliteException("database is locked", 5),
        new SqliteException("database table is locked", 6),
        new SqliteException("database or disk is full", 13),
        new SqliteException("disk I/O error", 10),
        new SqliteException("attempt to write a readonly database", 8),
        new SqliteException("database disk image is malformed", 11),
    };

    [Theory]
    [MemberData(nameof(WriteFailures))]
    public async Task Write_ThatFailsAsAWholeWithASqliteError_IsLoggedAndKept_AndTheNextWriteStoresEverything(Exception failure)
    {
        await LedgerFaultChecks.WholeWriteFailureIsKeptAsync(new SqliteLedgerStore(), failure);
    }


    [Fact]
    public async Task Write_ToADatabaseLockedBeyondTheBusyTimeout_IsKept_AndWrittenOnceTheLockIsGone()
    {
        await using var ledger = LedgerUnderTest.Create(new SqliteLedgerStore());
        ledger.Add(1, 2);
        using (var other = new SqliteConnection($"Data Source={ledger.DatabasePath};Pooling=False"))
        {
            other.Open();
            using var exclusive = other.BeginTransaction(deferred: false);
            using (var write = other.CreateCommand())
            {
                write.Transaction = exclusive;
                write.CommandText = "INSERT INTO ledger (key, value) VALUES ('other', 'writer');";
                write.ExecuteNonQuery();
            }

            await ledger.Ledger.FlushAsync();

            Assert.Equal(0, ledger.Ledger.DroppedRecords);
            Assert.Contains("could not write 2 records", ledger.LogText, StringComparison.Ordinal);
            Assert.Contains("is locked by another connection", ledger.LogText, StringComparison.Ordinal);
            exclusive.Rollback();
        }

        ledger.Add(3);
        await ledger.Ledger.FlushAsync();

        Assert.Equal([1L, 2L, 3L], ledger.WrittenSeconds());
    }
}
