namespace HybridInference.LedgerTests;

public abstract partial class CostLedgerWriterContractTests
{
    [Fact]
    public async Task Loop_AfterEveryKindOfFailure_GoesOnWritingTheNextRecords()
    {
        await using var ledger = LedgerUnderTest.WithFaults(NewStore());

        // A record that throws something other than a database error: dropped, the loop lives on.
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
        await using var store = NewStore();
        var time = new FakeTimeProvider(LedgerUnderTest.Start);
        var ledger = store.Open(new LedgerSetup(10_000, TimeSpan.FromSeconds(1), 90, time, new ThrowingLogger())
        {
            RecordFault = outcome => outcome.StartedAt == LedgerUnderTest.At(2) ? new InvalidOperationException("serialisation failed") : null,
        });
        try
        {
            // Each of these makes the ledger log, and the logger throws: the NaN, the failing record.
            ledger.OnRequestFinished(LedgerUnderTest.Record(1, cost: double.NaN));
            ledger.OnRequestFinished(LedgerUnderTest.Record(2));
            ledger.OnRequestFinished(LedgerUnderTest.Record(3));
            for (var i = 0; i < 500 && store.Rows().Count < 2; i++)
            {
                time.Advance(TimeSpan.FromSeconds(1));
                await Task.Delay(10);
            }

            ledger.OnRequestFinished(LedgerUnderTest.Record(4));
            for (var i = 0; i < 500 && store.Rows().Count < 3; i++)
            {
                time.Advance(TimeSpan.FromSeconds(1));
                await Task.Delay(10);
            }

            Assert.Equal([1L, 3L, 4L], LedgerUnderTest.Seconds(store.Rows()));
            Assert.Equal(1, ledger.DroppedRecords);
        }
        finally
        {
            await ledger.DisposeAsync();
        }
    }

    public static TheoryData<string> DisposalFailures() => new() { "full", "other exception" };

    [Theory]
    [MemberData(nameof(DisposalFailures))]
    public async Task Dispose_WhenTheLastWriteFails_CountsAndLogsTheRecordsAsLost(string failure)
    {
        await using var ledger = LedgerUnderTest.WithFaults(NewStore());
        ledger.Add(1, 2, 3);
        ledger.OpenFault = failure == "full" ? ledger.Store.DiskFull() : new InvalidOperationException("something else broke");

        await ledger.Ledger.DisposeAsync();

        Assert.Equal(3, ledger.Ledger.DroppedRecords);
        Assert.Contains("lost 3 records when it was disposed", ledger.LogText, StringComparison.Ordinal);
        Assert.DoesNotContain("kept for the next write", ledger.LogText, StringComparison.Ordinal);
        Assert.Empty(ledger.Rows());
    }

    [Fact]
    public async Task Dispose_WritesWhatIsQueued_AndCountsNothing()
    {
        var ledger = LedgerUnderTest.Create(NewStore());
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

    private sealed class ThrowingLogger : Microsoft.Extensions.Logging.ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

        public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            throw new InvalidOperationException("The log sink is down.");
    }
}
