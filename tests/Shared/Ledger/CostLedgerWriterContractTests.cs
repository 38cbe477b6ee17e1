namespace HybridInference.LedgerTests;

/// <summary>
/// The write path loses nothing silently, whatever the database (a concrete subclass per database runs these against a
/// real one): every record, whatever it holds, and every failure of a write ends as a row, or as a logged, counted
/// drop, and the writer goes on with the next records.
/// </summary>
public abstract partial class CostLedgerWriterContractTests
{
    /// <summary>A fresh, empty store of the database under test.</summary>
    internal abstract LedgerStore NewStore();

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
        await using var ledger = LedgerUnderTest.Create(NewStore());
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
        await using var ledger = LedgerUnderTest.Create(NewStore());
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
        await using var ledger = LedgerUnderTest.Create(NewStore());
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
        await using var ledger = LedgerUnderTest.Create(NewStore());
        ledger.Add(1);
        ledger.Ledger.OnRequestFinished(LedgerUnderTest.Record(2, backend: text, model: text));
        ledger.Add(3);

        await ledger.Ledger.FlushAsync();

        Assert.Equal([1L, 2L, 3L], ledger.WrittenSeconds());
        var row = ledger.Rows()[1];

        // Both store UTF-8: a lone surrogate, which UTF-8 cannot carry, becomes U+FFFD (and NUL too in PostgreSQL's text);
        // everything else is kept exactly.
        var stored = ledger.Store.Stored(text);
        Assert.True(stored == (string)row["backend"]!, $"{kind}: the backend was not stored as given");
        Assert.True(stored == (string)row["model"]!, $"{kind}: the model was not stored as given");
        Assert.Equal(0, ledger.Ledger.DroppedRecords);
    }

    [Fact]
    public async Task Write_ARecordWithValuesNoRequestHas_IsWrittenAsItIs()
    {
        await using var ledger = LedgerUnderTest.Create(NewStore());
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
        await using var ledger = LedgerUnderTest.Create(NewStore());
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
    };

    [Theory]
    [MemberData(nameof(RecordFailures))]
    public async Task Write_ARecordThatFails_IsDroppedCountedAndLogged_TheOthersAreWritten(Exception failure)
    {
        await LedgerFaultChecks.RecordFailureIsDroppedAloneAsync(NewStore(), failure);
    }


    public static TheoryData<Exception> WriteFailures() => new()
    {
        new IOException("the disk went away"),
        new InvalidOperationException("something else broke"),
        new UnauthorizedAccessException("no access"),
    };

    [Theory]
    [MemberData(nameof(WriteFailures))]
    public async Task Write_ThatFailsAsAWhole_IsLoggedAndKept_AndTheNextWriteStoresEverything(Exception failure)
    {
        await LedgerFaultChecks.WholeWriteFailureIsKeptAsync(NewStore(), failure);
    }


    [Fact]
    public async Task Write_FailingUntilMoreThanTheCapacityWaits_DropsTheOldestCountedAndLogged()
    {
        await using var ledger = LedgerUnderTest.WithFaults(NewStore(), capacity: 2);
        ledger.OpenFault = ledger.Store.DiskFull();
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
}
