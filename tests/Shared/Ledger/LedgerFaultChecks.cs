namespace HybridInference.LedgerTests;

/// <summary>
/// The checks of a failing write that every database runs with failures of its own (the shared suite with any
/// exception, each database's tests with its driver's errors), written once.
/// </summary>
internal static class LedgerFaultChecks
{
    /// <summary>A record whose write throws <paramref name="failure"/> is dropped, counted and logged; the others are written, and the writer goes on.</summary>
    public static async Task RecordFailureIsDroppedAloneAsync(LedgerStore store, Exception failure)
    {
        await using var ledger = LedgerUnderTest.WithFaults(store);
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
    /// <summary>A write that fails as a whole with <paramref name="failure"/> is logged and kept, and the next write stores everything.</summary>
    public static async Task WholeWriteFailureIsKeptAsync(LedgerStore store, Exception failure)
    {
        await using var ledger = LedgerUnderTest.WithFaults(store);
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
}
