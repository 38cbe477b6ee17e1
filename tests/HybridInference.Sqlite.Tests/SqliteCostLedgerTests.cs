using System.Text;
using Microsoft.Data.Sqlite;

namespace HybridInference.Sqlite.Tests;

/// <summary>
/// The write path loses nothing silently: every record, whatever it holds, and every failure of a write ends as a row,
/// or as a logged, counted drop, and the writer goes on with the next records.
/// </summary>
public sealed class SqliteCostLedgerTests
{
    public static TheoryData<string, double> NonFiniteNumbers()
    {
        var data = new TheoryData<string, double>();
        foreach (var column in new[] { "cost_usd", "cloud_baseline_usd" })
        {
            foreach (var value in new[] { double.NaN, double.PositiveInfinity, double.NegativeInfinity })
            {
                data.Add(column, value);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(NonFiniteNumbers))]
    public async Task Write_ANonFiniteNumber_IsWrittenAsNull_AndNothingIsDropped(string column, double value)
    {
        await using var ledger = LedgerUnderTest.Create();
        var poisoned = column == "cost_usd" ? LedgerUnderTest.Record(2, cost: value) : LedgerUnderTest.Record(2, baseline: value);
        ledger.Add(1);
        ledger.Ledger.OnRequestFinished(poisoned);
        ledger.Add(3);

        await ledger.Ledger.FlushAsync();
        ledger.Add(4);
        await ledger.Ledger.FlushAsync();

        var rows = ledger.Rows();
        Assert.Equal([1L, 2L, 3L, 4L], ledger.WrittenSeconds());
        Assert.Null(rows[1][column]);
        Assert.Equal(("local", "local-model", 10L, 20L, 250.0), ((string)rows[1]["backend"]!, (string)rows[1]["model"]!, (long)rows[1]["input_tokens"]!, (long)rows[1]["output_tokens"]!, (double)rows[1]["latency_ms"]!));
        Assert.All([rows[0], rows[2], rows[3]], row => Assert.NotNull(row[column]));
        Assert.Equal(0, ledger.Ledger.DroppedRecords);
        Assert.Contains("not finite numbers", ledger.LogText, StringComparison.Ordinal);

        // The sums leave the unknown value out rather than turning into NaN or infinity.
        var summary = await ledger.Ledger.SummarizeAsync(LedgerUnderTest.Start, LedgerUnderTest.Start.AddMinutes(1));
        Assert.Equal(4, summary.Requests);
        Assert.Equal(column == "cost_usd" ? 0.03 : 0.04, summary.CostUsd, 9);
        Assert.Equal(column == "cost_usd" ? 0.08 : 0.06, summary.CloudBaselineCostUsd, 9);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(double.Epsilon)]
    [InlineData(double.MaxValue)]
    [InlineData(-1.0)]
    public async Task Write_AFiniteExtremeNumber_IsWrittenAsItIs(double value)
    {
        await using var ledger = LedgerUnderTest.Create();
        ledger.Ledger.OnRequestFinished(LedgerUnderTest.Record(1, cost: value, baseline: value));

        await ledger.Ledger.FlushAsync();

        var row = Assert.Single(ledger.Rows());
        Assert.Equal((value, value), ((double)row["cost_usd"]!, (double)row["cloud_baseline_usd"]!));
        Assert.DoesNotContain("not finite", ledger.LogText, StringComparison.Ordinal);
    }

    public static TheoryData<TimeSpan> ExtremeLatencies() => new() { TimeSpan.Zero, TimeSpan.MaxValue, TimeSpan.MinValue, TimeSpan.FromTicks(1) };

    [Theory]
    [MemberData(nameof(ExtremeLatencies))]
    public async Task Write_AnExtremeLatency_IsWrittenAndTheNextRecordsToo(TimeSpan latency)
    {
        await using var ledger = LedgerUnderTest.Create();
        ledger.Ledger.OnRequestFinished(LedgerUnderTest.Record(1, latency: latency));
        ledger.Add(2);

        await ledger.Ledger.FlushAsync();

        Assert.Equal([1L, 2L], ledger.WrittenSeconds());
        Assert.Equal(latency.TotalMilliseconds, (double)ledger.Rows()[0]["latency_ms"]!);
        Assert.Equal(0, ledger.Ledger.DroppedRecords);
    }

    public static TheoryData<string, string> OddStrings() => new()
    {
        { "empty", string.Empty },
        { "very long", new string('m', 1_000_000) },
        { "NUL inside", "local\0model" },
        { "only NUL", "\0" },
        { "lone high surrogate", "model-\uD800" },
        { "lone low surrogate", "\uDC00-model" },
        { "reversed pair", "\uDC00\uD800" },
        { "emoji and RTL", "模型-🦙-\u202Emodel" },
        { "quotes and SQL", "'); DROP TABLE requests; --" },
        { "control characters", "\u0001\u001b[31m\r\n\t" },
    };

    [Theory]
    [MemberData(nameof(OddStrings))]
    public async Task Write_ARecordWithOddText_IsWritten_AndTheNextRecordsToo(string kind, string text)
    {
        await using var ledger = LedgerUnderTest.Create();
        ledger.Add(1);
        ledger.Ledger.OnRequestFinished(LedgerUnderTest.Record(2, backend: text, model: text));
        ledger.Add(3);

        await ledger.Ledger.FlushAsync();

        Assert.Equal([1L, 2L, 3L], ledger.WrittenSeconds());
        var row = ledger.Rows()[1];

        // SQLite stores UTF-8: a lone surrogate, which UTF-8 cannot carry, becomes U+FFFD; everything else is kept exactly.
        var stored = Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(text));
        Assert.True(stored == (string)row["backend"]!, $"{kind}: the backend was not stored as given");
        Assert.True(stored == (string)row["model"]!, $"{kind}: the model was not stored as given");
        Assert.Equal(0, ledger.Ledger.DroppedRecords);
    }

    [Fact]
    public async Task Write_ARecordWithValuesNoRequestHas_IsWrittenAsItIs()
    {
        await using var ledger = LedgerUnderTest.Create();
        ledger.Ledger.OnRequestFinished(new RouteOutcome
        {
            StartedAt = DateTimeOffset.MinValue,
            Target = (BackendLane)99,
            Backend = "local",
            Category = (TaskCategory)(-1),
            Decision = (RouteTarget)1234,
            DecisionReason = (RouteReason)77,
            Attempts = int.MinValue,
            EscalationReason = (EscalationReason)42,
            ValidationFailures = int.MaxValue,
            EstimatedPromptTokens = -5,
            InputTokens = long.MaxValue,
            OutputTokens = long.MinValue,
            CostUsd = -0.0,
            CloudBaselineCostUsd = double.MinValue,
            Duration = TimeSpan.MinValue,
            JsonRequired = true,
            Failed = true,
        });
        ledger.Add(1);

        await ledger.Ledger.FlushAsync();

        var rows = ledger.Rows();
        Assert.Equal(2, rows.Count);
        Assert.Equal(
            (DateTimeOffset.MinValue.ToUnixTimeMilliseconds(), "99", "-1", "1234", "77", "42", (long)int.MinValue, long.MaxValue, long.MinValue, "failed"),
            ((long)rows[0]["started_at_ms"]!, (string)rows[0]["route"]!, (string)rows[0]["category"]!, (string)rows[0]["decision"]!,
             (string)rows[0]["decision_reason"]!, (string)rows[0]["escalation_reason"]!, (long)rows[0]["attempts"]!,
             (long)rows[0]["input_tokens"]!, (long)rows[0]["output_tokens"]!, (string)rows[0]["validation"]!));
        Assert.Equal(0, ledger.Ledger.DroppedRecords);

        // A summary over a range holding both neither throws on the unknown names nor loses the ordinary record.
        var summary = await ledger.Ledger.SummarizeAsync(DateTimeOffset.MinValue, LedgerUnderTest.Start.AddMinutes(1));
        Assert.Equal(2, summary.Requests);
    }

    [Fact]
    public async Task Write_ARecordWithoutABackendOrModel_IsWritten()
    {
        await using var ledger = LedgerUnderTest.Create();
        ledger.Ledger.OnRequestFinished(LedgerUnderTest.Record(1, backend: null!, model: null));
        ledger.Add(2);

        await ledger.Ledger.FlushAsync();

        Assert.Equal([1L, 2L], ledger.WrittenSeconds());
        Assert.Equal((string.Empty, null), ((string)ledger.Rows()[0]["backend"]!, ledger.Rows()[0]["model"]));
    }

    public static TheoryData<Exception> RecordFailures() => new()
    {
        new InvalidOperationException("serialisation failed"),
        new FormatException("bad format"),
        new NullReferenceException("a null inside"),
        new ArgumentOutOfRangeException("value", "out of range"),
        new OverflowException("overflow"),
        new SqliteException("constraint failed", 19),
        new SqliteException("string or blob too big", 18),
        new SqliteException("datatype mismatch", 20),
    };

    [Theory]
    [MemberData(nameof(RecordFailures))]
    public async Task Write_ARecordThatFails_IsDroppedCountedAndLogged_TheOthersAreWritten(Exception failure)
    {
        await using var ledger = LedgerUnderTest.WithFaults();
        ledger.RecordFault = (2, failure);
        ledger.Add(1, 2, 3);

        await ledger.Ledger.FlushAsync();

        Assert.Equal([1L, 3L], ledger.WrittenSeconds());
        Assert.Equal(1, ledger.Ledger.DroppedRecords);
        Assert.Contains($"dropped a record of a request started at {LedgerUnderTest.At(2):O}", ledger.LogText, StringComparison.Ordinal);
        Assert.Contains(failure.Message, ledger.LogText, StringComparison.Ordinal);

        // The same failure again is counted again; the writer goes on.
        ledger.RecordFault = (5, failure);
        ledger.Add(4, 5, 6);
        await ledger.Ledger.FlushAsync();

        Assert.Equal([1L, 3L, 4L, 6L], ledger.WrittenSeconds());
        Assert.Equal(2, ledger.Ledger.DroppedRecords);
    }

    [Fact]
    public async Task Write_ATextLongerThanSQLiteTakes_IsDroppedCountedAndLogged_TheOthersAreWritten()
    {
        // The real SQLITE_TOOBIG, with the length limit lowered on the ledger's connections (the default is 1e9 bytes).
        await using var ledger = LedgerUnderTest.Create(seams: _ => new SqliteCostLedgerSeams
        {
            BusyTimeoutSeconds = 1,
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
        new IOException("the disk went away"),
        new InvalidOperationException("something else broke"),
        new UnauthorizedAccessException("no access"),
    };

    [Theory]
    [MemberData(nameof(WriteFailures))]
    public async Task Write_ThatFailsAsAWhole_IsLoggedAndKept_AndTheNextWriteStoresEverything(Exception failure)
    {
        await using var ledger = LedgerUnderTest.WithFaults();
        ledger.OpenFault = failure;
        ledger.Add(1, 2);

        await ledger.Ledger.FlushAsync();

        Assert.Empty(ledger.WrittenSeconds());
        Assert.Equal(0, ledger.Ledger.DroppedRecords);
        Assert.Contains("could not write 2 records", ledger.LogText, StringComparison.Ordinal);
        Assert.Contains(failure.Message, ledger.LogText, StringComparison.Ordinal);

        ledger.OpenFault = null;
        ledger.Add(3);
        await ledger.Ledger.FlushAsync();

        Assert.Equal([1L, 2L, 3L], ledger.WrittenSeconds());
        Assert.Equal(0, ledger.Ledger.DroppedRecords);
    }

    [Fact]
    public async Task Write_ToADatabaseLockedBeyondTheBusyTimeout_IsKept_AndWrittenOnceTheLockIsGone()
    {
        await using var ledger = LedgerUnderTest.Create();
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

    [Fact]
    public async Task Write_FailingUntilMoreThanTheCapacityWaits_DropsTheOldestCountedAndLogged()
    {
        await using var ledger = LedgerUnderTest.WithFaults(capacity: 2);
        ledger.OpenFault = new SqliteException("database or disk is full", 13);
        ledger.Add(1, 2);
        await ledger.Ledger.FlushAsync();
        ledger.Add(3, 4);
        await ledger.Ledger.FlushAsync();

        Assert.Equal(2, ledger.Ledger.DroppedRecords);
        Assert.Contains("dropped the 2 oldest unwritten records", ledger.LogText, StringComparison.Ordinal);

        ledger.OpenFault = null;
        await ledger.Ledger.FlushAsync();
        Assert.Equal([3L, 4L], ledger.WrittenSeconds());
    }

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
