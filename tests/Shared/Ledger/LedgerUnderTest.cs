using HybridInference.Cost;

namespace HybridInference.LedgerTests;

/// <summary>
/// One ledger built directly (no client in front) on a fresh store, on a fake clock, with its log captured and its
/// faults settable: for the tests of the write path's failures, against every database.
/// </summary>
internal sealed class LedgerUnderTest : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private LedgerUnderTest(LedgerStore store, int capacity, bool faults)
    {
        Store = store;
        var setup = new LedgerSetup(capacity, Interval, 90, Time, Log.CreateLogger("ledger"));
        if (faults)
        {
            setup = setup with
            {
                OpenFault = () => OpenFault,
                RecordFault = outcome => RecordFault is { } fault && outcome.StartedAt == At(fault.Second) ? fault.Error : null,
            };
        }

        Ledger = store.Open(setup);
    }

    public LedgerStore Store { get; }

    public BatchedCostLedger Ledger { get; }

    public FakeTimeProvider Time { get; } = new(Start);

    public FakeLoggerProvider Log { get; } = new();

    public TimeSpan Interval { get; } = TimeSpan.FromSeconds(1);

    /// <summary>Set by a test to make opening a connection for a write throw.</summary>
    public Exception? OpenFault { get; set; }

    /// <summary>Set by a test to make the write of the record that started at this second throw.</summary>
    public (int Second, Exception Error)? RecordFault { get; set; }

    public static LedgerUnderTest Create(LedgerStore store, int capacity = 10_000) => new(store, capacity, faults: false);

    /// <summary>A ledger whose seams throw <see cref="OpenFault"/> on opening and <see cref="RecordFault"/> for its record.</summary>
    public static LedgerUnderTest WithFaults(LedgerStore store, int capacity = 10_000) => new(store, capacity, faults: true);

    public static DateTimeOffset At(int second) => Start.AddSeconds(second);

    /// <summary>A record of a request that started <paramref name="second"/> seconds after <see cref="Start"/>.</summary>
    public static RouteOutcome Record(int second, double cost = 0.01, double baseline = 0.02, TimeSpan? latency = null, string backend = "local", string? model = "local-model") => new()
    {
        StartedAt = At(second),
        Target = BackendLane.Local,
        Backend = backend,
        Model = model,
        Category = TaskCategory.Routine,
        Decision = RouteTarget.Local,
        DecisionReason = RouteReason.Default,
        Attempts = 1,
        EscalationReason = EscalationReason.None,
        ValidationFailures = 0,
        EstimatedPromptTokens = 10,
        InputTokens = 10,
        OutputTokens = 20,
        CostUsd = cost,
        CloudBaselineCostUsd = baseline,
        Duration = latency ?? TimeSpan.FromMilliseconds(250),
        OutputCommitted = true,
    };

    public void Add(params int[] seconds)
    {
        foreach (var second in seconds)
        {
            Ledger.OnRequestFinished(Record(second));
        }
    }

    /// <summary>The seconds (after <see cref="Start"/>) of the records in the table, in the order written.</summary>
    public List<long> WrittenSeconds() => Seconds(Rows());

    public static List<long> Seconds(List<Dictionary<string, object?>> rows) =>
        [.. rows.Select(r => ((long)r["started_at_ms"]! - Start.ToUnixTimeMilliseconds()) / 1000)];

    public string LogText => string.Join("\n", Log.Lines);

    /// <summary>Reads the table through a connection of its own, as another process would see it.</summary>
    public List<Dictionary<string, object?>> Rows() => Store.Rows();

    /// <summary>
    /// Moves the fake clock one interval at a time until <paramref name="done"/> holds, so the background loop (not a
    /// direct flush) does the writing; the loop may not have armed its timer yet when the clock first moves.
    /// </summary>
    public async Task<bool> AdvanceUntilAsync(Func<bool> done)
    {
        for (var i = 0; i < 500; i++)
        {
            if (done())
            {
                return true;
            }

            Time.Advance(Interval);
            await Task.Delay(10);
        }

        return done();
    }

    public async ValueTask DisposeAsync()
    {
        await Ledger.DisposeAsync();
        await Store.DisposeAsync();
    }
}
