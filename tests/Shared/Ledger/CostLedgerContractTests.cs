using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HybridInference.LedgerTests;

/// <summary>
/// The ledger behind the hybrid client, the same for every database (a concrete subclass per database runs these
/// against a real one): what each request records, when it is written, what is dropped, pruned and summed.
/// </summary>
public abstract class CostLedgerContractTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(1);

    private static readonly JsonElement Schema = JsonDocument.Parse("""
        { "type": "object", "properties": { "name": { "type": "string" } }, "required": ["name"], "additionalProperties": false }
        """).RootElement.Clone();

    private static ChatMessage[] User(string text) => [new ChatMessage(ChatRole.User, text)];

    /// <summary>A fresh, empty store of the database under test.</summary>
    internal abstract LedgerStore NewStore();

    [Fact]
    public async Task EveryFinishedRequest_IsOneRecord_WithWhatHappenedToIt()
    {
        await using var host = LedgerHost.Create(NewStore());
        host.Local.Reply("hello", inputTokens: 12, outputTokens: 9);
        host.Cloud.Reply("a plan", inputTokens: 100, outputTokens: 50);
        host.Local.Reply("""{"name":1}""").Reply("""{"name":"Ada"}""");
        host.Local.Throw(new BackendException(BackendErrorKind.ServerError, "The backend 'local' answered 500.", 500));

        await host.Chat.GetResponseAsync(User("Say hello"));
        await host.Chat.GetResponseAsync(User("Plan the migration."), new ChatOptions().WithTaskCategory(TaskCategory.Complex));
        await host.Chat.GetResponseAsync(User("Extract the name."), new ChatOptions { ResponseFormat = ChatResponseFormat.ForJsonSchema(Schema, "person") });
        await Assert.ThrowsAsync<LocalBackendUnavailableException>(() =>
            host.Chat.GetResponseAsync(User("Summarize the record."), new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly)));

        var rows = await host.WaitForRowsAsync(4, Interval);

        Assert.Equal(4, rows.Count);
        Assert.Equal(
            ("Routine", "Local", "local", "local-model", 12L, 9L, 1L, "none", "None", 0L),
            ((string)rows[0]["category"]!, (string)rows[0]["route"]!, (string)rows[0]["backend"]!, (string)rows[0]["model"]!,
             (long)rows[0]["input_tokens"]!, (long)rows[0]["output_tokens"]!, (long)rows[0]["attempts"]!, (string)rows[0]["validation"]!,
             (string)rows[0]["escalation_reason"]!, (long)rows[0]["failed"]!));
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds(), (long)rows[0]["started_at_ms"]!);
        Assert.True((double)rows[0]["cloud_baseline_usd"]! > 0);

        Assert.Equal(("Complex", "Cloud", "Category", "Category"), ((string)rows[1]["category"]!, (string)rows[1]["route"]!, (string)rows[1]["decision_reason"]!, (string)rows[1]["escalation_reason"]!));
        Assert.Equal((100 * 10.0 + 50 * 30.0) / 1_000_000, (double)rows[1]["cost_usd"]!, 9);

        Assert.Equal(("retried", 1L, 2L, "Local"), ((string)rows[2]["validation"]!, (long)rows[2]["validation_failures"]!, (long)rows[2]["attempts"]!, (string)rows[2]["decision"]!));

        Assert.Equal((1L, "Local", 0L), ((long)rows[3]["failed"]!, (string)rows[3]["route"]!, (long)rows[3]["output_committed"]!));
    }

    [Fact]
    public async Task RecordsAreWrittenAtTheInterval_InOneBatch_NotOnTheRequestPath()
    {
        await using var host = LedgerHost.Create(NewStore());
        host.Local.DefaultReply = _ => "ok";

        for (var i = 0; i < 5; i++)
        {
            await host.Chat.GetResponseAsync(User("Say hello"));
        }

        // Until the interval passes nothing is on disk: a crash now would lose these five, and no more.
        Assert.Empty(host.Rows());
        Assert.Equal(5, (await host.WaitForRowsAsync(5, Interval)).Count);
    }

    [Fact]
    public async Task AFullQueue_NeitherBlocksNorFailsARequest_ItCountsWhatItDropped()
    {
        await using var host = LedgerHost.Create(NewStore(), "\"QueueCapacity\": 2,");
        host.Local.DefaultReply = _ => "ok";

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("ok", (await host.Chat.GetResponseAsync(User("Say hello"))).Text);
        }

        Assert.Equal(3, host.Ledger.DroppedRecords);
        using (var metrics = new MetricCollector<long>(host.Provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), "HybridInference", "hybrid_inference.ledger.dropped"))
        {
            metrics.RecordObservableInstruments();
            Assert.Equal(3, metrics.LastMeasurement?.Value);
        }

        await host.Ledger.FlushAsync();
        Assert.Equal(2, host.Rows().Count);
    }

    [Fact]
    public async Task Disposing_WritesWhatIsStillQueued()
    {
        var host = LedgerHost.Create(NewStore());
        try
        {
            host.Local.DefaultReply = _ => "ok";
            await host.Chat.GetResponseAsync(User("Say hello"));
            await host.Provider.DisposeAsync();

            Assert.Single(host.Rows());
        }
        finally
        {
            await host.DisposeAsync();
        }
    }

    [Fact]
    public async Task RecordsOlderThanTheRetention_ArePruned()
    {
        await using var host = LedgerHost.Create(NewStore(), retentionDays: 1);
        host.Local.DefaultReply = _ => "ok";
        await host.Chat.GetResponseAsync(User("Say hello"));
        await host.Ledger.FlushAsync();

        host.Time.Advance(TimeSpan.FromDays(2));
        await host.Chat.GetResponseAsync(User("Say hello again"));
        var rows = await host.WaitForRowsAsync(2, Interval);
        for (var i = 0; i < 250 && rows.Count != 1; i++)
        {
            host.Time.Advance(TimeSpan.FromMinutes(10));
            await Task.Delay(20);
            rows = host.Rows();
        }

        var kept = Assert.Single(rows);
        Assert.InRange((long)kept["started_at_ms"]!, host.Time.GetUtcNow().AddHours(-3).ToUnixTimeMilliseconds(), host.Time.GetUtcNow().ToUnixTimeMilliseconds());
    }

    [Fact]
    public async Task Summary_AddsUpCostSavingsShareEscalationsAndLatency()
    {
        await using var host = LedgerHost.Create(NewStore());
        var listener = host.Provider.GetServices<IRouteOutcomeListener>().Single();
        var start = host.Time.GetUtcNow();

        // 10 local answers of 10..100 ms costing nothing against a 0.01 baseline each; 4 cloud answers of 1 s at
        // 0.02 against a 0.02 baseline (2 by category, 1 validation escalation, 1 circuit); 1 failure; 1 before the range.
        for (var i = 1; i <= 10; i++)
        {
            listener.OnRequestFinished(Outcome(start.AddSeconds(i), BackendLane.Local, EscalationReason.None, 0, 0.01, TimeSpan.FromMilliseconds(10 * i)));
        }

        listener.OnRequestFinished(Outcome(start.AddSeconds(20), BackendLane.Cloud, EscalationReason.Category, 0.02, 0.02, TimeSpan.FromSeconds(1)));
        listener.OnRequestFinished(Outcome(start.AddSeconds(21), BackendLane.Cloud, EscalationReason.Category, 0.02, 0.02, TimeSpan.FromSeconds(1)));
        listener.OnRequestFinished(Outcome(start.AddSeconds(22), BackendLane.Cloud, EscalationReason.ValidationFailed, 0.02, 0.02, TimeSpan.FromSeconds(1)));
        listener.OnRequestFinished(Outcome(start.AddSeconds(23), BackendLane.Cloud, EscalationReason.CircuitOpen, 0.02, 0.02, TimeSpan.FromSeconds(1)));
        listener.OnRequestFinished(Outcome(start.AddSeconds(24), BackendLane.Local, EscalationReason.None, 0, 0, TimeSpan.FromSeconds(30), failed: true));
        listener.OnRequestFinished(Outcome(start.AddSeconds(-1), BackendLane.Cloud, EscalationReason.Category, 5, 5, TimeSpan.FromSeconds(1)));

        var summary = await host.Ledger.SummarizeAsync(start, start.AddMinutes(1));

        Assert.Equal((15L, 1L), (summary.Requests, summary.Failed));
        Assert.Equal(0.08, summary.CostUsd, 9);
        Assert.Equal(0.18, summary.CloudBaselineCostUsd, 9);
        Assert.Equal(0.08 * 1000 / 15, summary.CostPer1000Tasks, 9);
        Assert.Equal(0.10, summary.SavedUsd, 9);
        Assert.Equal(0.10 / 0.18, summary.SavedFraction, 9);
        Assert.Equal(11.0 / 15, summary.LocalShare, 9);
        Assert.Equal(4.0 / 15, summary.EscalationRate, 9);
        Assert.Equal(2.0 / 15, summary.EscalationRateByReason[EscalationReason.Category], 9);
        Assert.Equal(1.0 / 15, summary.EscalationRateByReason[EscalationReason.ValidationFailed], 9);
        Assert.False(summary.EscalationRateByReason.ContainsKey(EscalationReason.Hedge));

        // Nearest rank over the 10 answered local requests (the failure is left out): p50 = 5th, p95 = p99 = 10th.
        Assert.Equal(new LatencyPercentiles(10, TimeSpan.FromMilliseconds(50), TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100)), summary.LatencyByRoute[BackendLane.Local]);
        Assert.Equal(4, summary.LatencyByRoute[BackendLane.Cloud].Count);
    }

    [Fact]
    public async Task Summary_OfAnEmptyRange_IsZeroes()
    {
        await using var host = LedgerHost.Create(NewStore());
        var start = host.Time.GetUtcNow();

        var summary = await host.Ledger.SummarizeAsync(start, start.AddDays(1));

        Assert.Equal((0L, 0.0, 0.0, 0.0), (summary.Requests, summary.CostPer1000Tasks, summary.LocalShare, summary.SavedFraction));
        Assert.Empty(summary.LatencyByRoute);
    }

    [Fact]
    public async Task Summary_OfABackwardRange_IsRefused()
    {
        await using var host = LedgerHost.Create(NewStore());
        var now = host.Time.GetUtcNow();

        var error = await Assert.ThrowsAsync<ArgumentException>(() => host.Ledger.SummarizeAsync(now, now.AddSeconds(-1)));
        Assert.Contains("must be after its start", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MissingKey_FailsWithTheKeyNamed()
    {
        await using var store = NewStore();
        var services = new ServiceCollection();
        store.AddWithoutKey(services.AddHybridInference(o => o.Local.Backends.Add(new BackendOptions { Name = "local", Provider = "vllm" }))
            .AddLocalBackend("local", _ => new Testing.FakeChatClient()));
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<ICostLedger>());
        Assert.Contains(store.Key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ADatabaseFromANewerVersion_IsRefusedByName()
    {
        await using var host = LedgerHost.Create(NewStore());
        _ = host.Chat;
        host.Store.SetSchemaVersion(99);

        var error = Assert.Throws<InvalidOperationException>(() =>
            host.Store.Open(new(10, TimeSpan.FromSeconds(1), 90, TimeProvider.System, Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance)));
        Assert.Contains("schema version 99", error.Message, StringComparison.Ordinal);
    }

    private static RouteOutcome Outcome(DateTimeOffset at, BackendLane lane, EscalationReason escalation, double cost, double baseline, TimeSpan latency, bool failed = false) => new()
    {
        StartedAt = at,
        Target = lane,
        Backend = lane == BackendLane.Local ? "local" : "cloud",
        Category = escalation == EscalationReason.Category ? TaskCategory.Complex : TaskCategory.Routine,
        Decision = lane == BackendLane.Local ? RouteTarget.Local : RouteTarget.Cloud,
        DecisionReason = escalation == EscalationReason.Category ? RouteReason.Category : RouteReason.Default,
        Attempts = 1,
        EscalationReason = escalation,
        ValidationFailures = 0,
        EstimatedPromptTokens = 10,
        InputTokens = 10,
        OutputTokens = 10,
        CostUsd = cost,
        CloudBaselineCostUsd = baseline,
        Duration = latency,
        Failed = failed,
        OutputCommitted = !failed,
    };
}
