using Microsoft.Data.Sqlite;

namespace HybridInference.Sqlite.Tests;

public sealed partial class SqliteCostLedgerTests
{
    [Fact]
    public async Task Loop_AfterEveryKindOfFailure_GoesOnWritingTheNextRecords()
    {
        await using var ledger = LedgerUnderTest.WithFaults();

        // A record that throws something other than a SqliteException: dropped, the loop lives on.
        ledger.RecordFault = (2, new InvalidOperationException("serialisation failed"));
        ledger.Add(1, 2);
        Assert.True(await ledger.AdvanceUntilAsync(() => ledger.WrittenSeconds().Count == 1), "the loop did not write the first batch");
        Assert.Equal(1, ledger.Ledger.DroppedRecords);

        // A NaN: written with NULL.
        ledger.Ledger.OnRequestFinished(LedgerUnderTest.Record(3, cost: double.NaN));
        Assert.True(await ledger.AdvanceUntilAsync(() => ledger.WrittenSeconds().Count == 2), "the loop did not write the NaN record");

        // A whole write failing with a non-SQLite exception: kept, and written by the loop once the fault is gone.
        ledger.OpenFault = new IOException("the disk went away");
        ledger.Add(4);
        Assert.True(await ledger.AdvanceUntilAsync(() => ledger.LogText.Contains("the disk went away", StringComparison.Ordinal)), "the failed write was not logged");
        ledger.OpenFault = null;
        ledger.Add(5);
        Assert.True(await ledger.AdvanceUntilAsync(() => ledger.WrittenSeconds().Count == 4), "the loop stopped after a failed write");

        Assert.Equal([1L, 3L, 4L, 5L], ledger.WrittenSeconds());
        Assert.Equal(1, ledger.Ledger.DroppedRecords);
    }

    [Fact]
    public async Task Loop_WithALoggerThatThrows_WritesEveryRecordOnce_AndGoesOn()
    {
        var folder = Path.Combine(Path.GetTempPath(), "hi-ledger-" + Guid.NewGuid().ToString("N"));
        var path = Path.Combine(folder, "costs.db");
        var time = new FakeTimeProvider(LedgerUnderTest.Start);
        var ledger = new SqliteCostLedger(
            new CostLedgerOptions { DatabasePath = path },
            90,
            time,
            new ThrowingLogger(),
            seams: new SqliteCostLedgerSeams
            {
                RecordWriting = outcome =>
                {
                    if (outcome.StartedAt == LedgerUnderTest.At(2))
                    {
                        throw new InvalidOperationException("serialisation failed");
                    }
                },
            });
        try
        {
            // Each of these makes the ledger log, and the logger throws: the NaN, the failing record.
            ledger.OnRequestFinished(LedgerUnderTest.Record(1, cost: double.NaN));
            ledger.OnRequestFinished(LedgerUnderTest.Record(2));
            ledger.OnRequestFinished(LedgerUnderTest.Record(3));
            for (var i = 0; i < 500 && LedgerUnderTest.ReadRows(path).Count < 2; i++)
            {
                time.Advance(TimeSpan.FromSeconds(1));
                await Task.Delay(10);
            }

            ledger.OnRequestFinished(LedgerUnderTest.Record(4));
            for (var i = 0; i < 500 && LedgerUnderTest.ReadRows(path).Count < 3; i++)
            {
                time.Advance(TimeSpan.FromSeconds(1));
                await Task.Delay(10);
            }

            var seconds = LedgerUnderTest.ReadRows(path).Select(r => ((long)r["started_at_ms"]! - LedgerUnderTest.Start.ToUnixTimeMilliseconds()) / 1000);
            Assert.Equal([1L, 3L, 4L], seconds);
            Assert.Equal(1, ledger.DroppedRecords);
        }
        finally
        {
            await ledger.DisposeAsync();
            Directory.Delete(folder, recursive: true);
        }
    }

    public static TheoryData<string> DisposalFailures() => new() { "locked", "full", "other exception" };

    [Theory]
    [MemberData(nameof(DisposalFailures))]
    public async Task Dispose_WhenTheLastWriteFails_CountsAndLogsTheRecordsAsLost(string failure)
    {
        var ledger = LedgerUnderTest.WithFaults();
        SqliteConnection? other = null;
        SqliteTransaction? exclusive = null;
        try
        {
            ledger.Add(1, 2, 3);
            switch (failure)
            {
                case "locked":
                    other = new SqliteConnection($"Data Source={ledger.DatabasePath};Pooling=False");
                    other.Open();
                    exclusive = other.BeginTransaction(deferred: false);
                    using (var write = other.CreateCommand())
                    {
                        write.Transaction = exclusive;
                        write.CommandText = "INSERT INTO ledger (key, value) VALUES ('other', 'writer');";
                        write.ExecuteNonQuery();
                    }

                    break;
                case "full":
                    ledger.OpenFault = new SqliteException("database or disk is full", 13);
                    break;
                default:
                    ledger.OpenFault = new InvalidOperationException("something else broke");
                    break;
            }

            await ledger.Ledger.DisposeAsync();

            Assert.Equal(3, ledger.Ledger.DroppedRecords);
            Assert.Contains("lost 3 records when it was disposed", ledger.LogText, StringComparison.Ordinal);
            Assert.DoesNotContain("kept for the next write", ledger.LogText, StringComparison.Ordinal);
        }
        finally
        {
            exclusive?.Dispose();
            other?.Dispose();
            await ledger.DisposeAsync();
        }

        Assert.Empty(LedgerUnderTest.ReadRows(ledger.DatabasePath));
    }

    [Fact]
    public async Task Dispose_WritesWhatIsQueued_AndCountsNothing()
    {
        var ledger = LedgerUnderTest.Create();
        try
        {
            ledger.Add(1, 2);
            await ledger.Ledger.DisposeAsync();

            Assert.Equal([1L, 2L], ledger.WrittenSeconds());
            Assert.Equal(0, ledger.Ledger.DroppedRecords);
        }
        finally
        {
            await ledger.DisposeAsync();
        }
    }

    [Fact]
    public async Task Write_AfterTheFileIsDeleted_CreatesANewOne_LogsIt_AndWritesThere()
    {
        await using var ledger = LedgerUnderTest.Create();
        ledger.Add(1);
        await ledger.Ledger.FlushAsync();

        DeleteDatabase(ledger.DatabasePath);
        ledger.Add(2);
        await ledger.Ledger.FlushAsync();

        Assert.Equal([2L], ledger.WrittenSeconds());
        Assert.Contains("was deleted while running", ledger.LogText, StringComparison.Ordinal);

        // Once: the new file is the ledger's own from now on.
        ledger.Add(3);
        await ledger.Ledger.FlushAsync();
        Assert.Equal([2L, 3L], ledger.WrittenSeconds());
        Assert.Single(ledger.Log.Lines, line => line.Contains("was deleted", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Write_AfterTheTableIsDropped_CreatesItAgain_LogsIt_AndWritesThere()
    {
        await using var ledger = LedgerUnderTest.Create();
        ledger.Add(1);
        await ledger.Ledger.FlushAsync();
        using (var other = new SqliteConnection($"Data Source={ledger.DatabasePath};Pooling=False"))
        {
            other.Open();
            using var drop = other.CreateCommand();
            drop.CommandText = "DROP TABLE requests;";
            drop.ExecuteNonQuery();
        }

        ledger.Add(2);
        await ledger.Ledger.FlushAsync();

        Assert.Equal([2L], ledger.WrittenSeconds());
        Assert.Equal(0, ledger.Ledger.DroppedRecords);
        Assert.Contains("table of requests was dropped", ledger.LogText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Write_AfterTheFolderIsDeleted_CreatesBoth_AndWritesThere()
    {
        await using var ledger = LedgerUnderTest.Create();
        ledger.Add(1);
        await ledger.Ledger.FlushAsync();

        Directory.Delete(ledger.Folder, recursive: true);
        ledger.Add(2);
        await ledger.Ledger.FlushAsync();

        Assert.Equal([2L], ledger.WrittenSeconds());
        Assert.Contains("was deleted while running", ledger.LogText, StringComparison.Ordinal);
    }

    public static TheoryData<string> Replacements() => new() { "another ledger", "an empty SQLite database", "an empty file", "a copy of itself" };

    [Theory]
    [MemberData(nameof(Replacements))]
    public async Task Write_AfterTheFileIsReplaced_WritesToTheFileNowAtThePath(string replacement)
    {
        await using var ledger = LedgerUnderTest.Create();
        await using var other = LedgerUnderTest.Create();
        ledger.Add(1);
        await ledger.Ledger.FlushAsync();
        other.Add(100);
        await other.Ledger.FlushAsync();

        var replacementFile = Path.Combine(ledger.Folder, "replacement.db");
        switch (replacement)
        {
            case "another ledger":
                File.Copy(other.DatabasePath, replacementFile);
                break;
            case "an empty SQLite database":
                using (var empty = new SqliteConnection($"Data Source={replacementFile};Pooling=False"))
                {
                    empty.Open();
                    using var command = empty.CreateCommand();
                    command.CommandText = "CREATE TABLE unrelated (x); PRAGMA user_version = 0;";
                    command.ExecuteNonQuery();
                }

                break;
            case "an empty file":
                File.WriteAllBytes(replacementFile, []);
                break;
            default:
                File.Copy(ledger.DatabasePath, replacementFile);
                break;
        }

        File.Move(replacementFile, ledger.DatabasePath, overwrite: true);
        ledger.Add(2);
        await ledger.Ledger.FlushAsync();

        var expected = replacement switch
        {
            "another ledger" => new[] { 100L, 2L },
            "a copy of itself" => [1L, 2L],
            _ => [2L],
        };
        Assert.Equal(expected, ledger.WrittenSeconds());
        Assert.Equal(0, ledger.Ledger.DroppedRecords);
        if (replacement != "a copy of itself")
        {
            // A copy carries the same instance id: the same ledger, so there is nothing to report, and it is still
            // written through the path (the old, unlinked file would not show record 2 here).
            Assert.Contains("was replaced by another file while running", ledger.LogText, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Write_AfterTheFileIsReplacedByANonDatabase_IsLoggedAndKept_AndWrittenOnceItIsRepaired()
    {
        await using var ledger = LedgerUnderTest.Create();
        ledger.Add(1);
        await ledger.Ledger.FlushAsync();

        DeleteDatabase(ledger.DatabasePath);
        File.WriteAllBytes(ledger.DatabasePath, Enumerable.Range(0, 8192).Select(i => (byte)(i * 7 + 3)).ToArray());
        ledger.Add(2);
        await ledger.Ledger.FlushAsync();

        Assert.Equal(0, ledger.Ledger.DroppedRecords);
        Assert.Contains("is not a SQLite database", ledger.LogText, StringComparison.Ordinal);
        Assert.Contains("kept for the next write", ledger.LogText, StringComparison.Ordinal);

        File.Delete(ledger.DatabasePath);
        await ledger.Ledger.FlushAsync();
        Assert.Equal([2L], ledger.WrittenSeconds());
    }

    private static void DeleteDatabase(string path)
    {
        foreach (var file in new[] { path, path + "-wal", path + "-shm" })
        {
            File.Delete(file);
        }
    }

    private sealed class ThrowingLogger : Microsoft.Extensions.Logging.ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            throw new InvalidOperationException("The log sink is down.");
    }
}
