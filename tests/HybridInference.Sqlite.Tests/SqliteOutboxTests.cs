using Microsoft.Data.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace HybridInference.Sqlite.Tests;

/// <summary>The SQLite outbox of cloud refinements, on a real file and a fake clock, through the whole chain and its hosted worker.</summary>
public sealed partial class SqliteOutboxTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "hi-outbox-" + Guid.NewGuid().ToString("N"));

    private string DatabasePath => Path.Combine(_folder, "outbox.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        if (Directory.Exists(_folder))
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Fact]
    public async Task Outbox_CloudAwayForAnHour_RestartedHalfway_SendsEveryRefinementExactlyOnceAfterRecovery()
    {
        var time = new FakeTimeProvider(LedgerUnderTest.Start);
        var cloud = new CloudStandIn { Off = true };
        var queuedIds = new List<string>();

        // The first process: half an hour of steady traffic (one drafted request a minute) while the cloud is away.
        var first = await OutboxHost.StartAsync(DatabasePath, time, cloud);
        for (var minute = 0; minute < 30; minute++)
        {
            queuedIds.Add((await first.DraftAsync($"write a tagline {minute}")).RequestId);
            await first.AdvanceAsync(TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(10));
        }

        Assert.True(cloud.FailedCalls > 0, "the worker never tried the cloud during the outage");
        Assert.Empty(first.Listener.Outcomes);
        Assert.Equal(30, first.Status.GetStatus().Outbox!.Waiting);
        await first.DisposeAsync();

        // The process restarts: a second one opens the same file, and the outage goes on for another half hour.
        var second = await OutboxHost.StartAsync(DatabasePath, time, cloud);
        var status = second.Status.GetStatus().Outbox!;
        Assert.Equal((true, 30L), (status.Durable, status.Waiting));
        var handles = new List<RefinementHandle>();
        for (var minute = 30; minute < 60; minute++)
        {
            handles.Add(await second.DraftAsync($"write a tagline {minute}"));
            await second.AdvanceAsync(TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(10));
        }

        queuedIds.AddRange(handles.Select(h => h.RequestId));
        Assert.Empty(second.Listener.Outcomes);
        Assert.Empty(cloud.Answered);

        // The cloud comes back: everything is sent, each refinement once, in the order it was queued.
        cloud.Off = false;
        Assert.True(await second.AdvanceUntilAsync(() => second.Listener.Outcomes.Count == 60), $"delivered {second.Listener.Outcomes.Count} of 60");
        await second.AdvanceAsync(TimeSpan.FromMinutes(5), TimeSpan.FromSeconds(10)); // nothing is sent twice later either

        var expectedPrompts = Enumerable.Range(0, 60).Select(m => $"write a tagline {m}").ToList();
        Assert.Equal(expectedPrompts, cloud.Order);
        Assert.All(cloud.Answered.Values, count => Assert.Equal(1, count));
        var outcomes = second.Listener.Outcomes;
        Assert.Equal(60, outcomes.Count);
        Assert.All(outcomes, o => Assert.Equal(RefinementStatus.Delivered, o.Status));
        Assert.Equal(queuedIds, outcomes.Select(o => o.RequestId));
        Assert.Equal("refined: draft of write a tagline 0", outcomes[0].Response!.Text);
        Assert.True(outcomes[0].RefinementCostUsd > 0, "the refinement's cloud cost is not on its outcome");
        Assert.Equal(BackendLane.Cloud, outcomes[0].Refinement!.Target);
        Assert.Equal(RouteReason.Refinement, outcomes[0].Refinement!.DecisionReason);

        // The handles of the second process complete; the outbox is empty and says so.
        foreach (var handle in handles)
        {
            var outcome = await handle.Completion.WaitAsync(TimeSpan.FromSeconds(5));
            Assert.Equal((handle.RequestId, RefinementStatus.Delivered), (outcome.RequestId, outcome.Status));
        }

        status = second.Status.GetStatus().Outbox!;
        Assert.Equal((0L, 60L, 0L, 0L), (status.Waiting, status.Delivered, status.Expired, status.Failed));
        await second.DisposeAsync();
    }

    [Fact]
    public async Task Outbox_FullThenPastAge_EndsItemsExpired_CountedAndLoggedOncePerPass()
    {
        var time = new FakeTimeProvider(LedgerUnderTest.Start);
        var cloud = new CloudStandIn { Off = true };
        await using var host = await OutboxHost.StartAsync(DatabasePath, time, cloud, outboxSettings: """ "Capacity": 3, "MaxAge": "00:10:00", """);
        using var expired = new MetricCollector<long>(host.Provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), "HybridInference", "hybrid_inference.outbox.expired");

        var handles = new List<RefinementHandle>();
        for (var i = 0; i < 5; i++)
        {
            handles.Add(await host.DraftAsync($"slogan {i}"));
        }

        // The two that found the outbox full have ended already, as expired.
        foreach (var handle in handles[3..])
        {
            Assert.True(handle.Completion.IsCompleted, "a refinement that found the outbox full is still waiting");
            var full = await handle.Completion;
            Assert.Equal(RefinementStatus.Expired, full.Status);
            Assert.Contains("full", full.Reason, StringComparison.Ordinal);
        }

        Assert.All(handles[..3], h => Assert.False(h.Completion.IsCompleted));

        // Past their age, the three waiting ones expire in one pass.
        await host.AdvanceAsync(TimeSpan.FromMinutes(11), TimeSpan.FromSeconds(30));
        Assert.True(await host.AdvanceUntilAsync(() => host.Listener.Outcomes.Count == 5), $"{host.Listener.Outcomes.Count} of 5 ended");
        Assert.All(host.Listener.Outcomes, o => Assert.Equal(RefinementStatus.Expired, o.Status));
        foreach (var handle in handles[..3])
        {
            var outcome = await handle.Completion.WaitAsync(TimeSpan.FromSeconds(5));
            Assert.Contains("MaxAge", outcome.Reason, StringComparison.Ordinal);
        }

        Assert.Equal(3, expired.GetMeasurementSnapshot().Where(m => Equals(m.Tags["reason"], "age")).Sum(m => m.Value));
        Assert.Equal(2, expired.GetMeasurementSnapshot().Where(m => Equals(m.Tags["reason"], "capacity")).Sum(m => m.Value));
        var lines = host.Logs.Lines;
        Assert.Equal("3", Assert.Single(lines, l => l.Contains("waited longer than Refinement:Outbox:MaxAge", StringComparison.Ordinal)).Split("Count=")[1].Split(',')[0]);
        Assert.Equal("2", Assert.Single(lines, l => l.Contains("the outbox was full", StringComparison.Ordinal)).Split("Count=")[1].Split(',')[0]);
        var status = host.Status.GetStatus().Outbox!;
        Assert.Equal((0L, 0L, 5L), (status.Waiting, status.Delivered, status.Expired));
        Assert.Equal(0, Rows("state = 'waiting'"));
        Assert.Equal(0, Rows("draft <> '' OR messages <> ''")); // an ended item keeps no prompt or draft
        Assert.Empty(cloud.Answered);
    }

    [Fact]
    public async Task Outbox_LocalOnlyRequest_IsNeverWrittenNorSent_AndTheOutcomeSaysWhy()
    {
        var time = new FakeTimeProvider(LedgerUnderTest.Start);
        var cloud = new CloudStandIn();
        await using var host = await OutboxHost.StartAsync(DatabasePath, time, cloud);

        var response = await host.Chat.GetResponseAsync("draft a note to my doctor", new ChatOptions().WithRefinement().WithDataPolicy(DataPolicy.LocalOnly));
        var outcome = await response.GetRefinement()!.Completion.WaitAsync(TimeSpan.FromSeconds(5));
        await host.AdvanceAsync(TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(1));

        Assert.Equal(RefinementStatus.LocalOnly, outcome.Status);
        Assert.Contains("LocalOnly", outcome.Reason, StringComparison.Ordinal);
        Assert.Equal(0, Rows("1 = 1"));
        Assert.Empty(cloud.Answered);
        Assert.Equal(RefinementStatus.LocalOnly, Assert.Single(host.Listener.Outcomes).Status);
    }

    [Fact]
    public async Task AddSqliteOutbox_PathIsADirectory_StopsStartUpNamingTheKey()
    {
        Directory.CreateDirectory(DatabasePath);
        var services = new ServiceCollection();
        services.AddHybridInference(_ => { }).AddSqliteOutbox(o => o.DatabasePath = DatabasePath);
        await using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(
            () => provider.GetRequiredService<Microsoft.Extensions.Options.IOptions<SqliteOutboxOptions>>().Value);
        Assert.Contains("HybridInference:Refinement:Outbox:Sqlite:DatabasePath", error.Message, StringComparison.Ordinal);
        Assert.Contains("is a directory", error.Message, StringComparison.Ordinal);
    }

    private long Rows(string where)
    {
        using var connection = new SqliteConnection($"Data Source={DatabasePath};Pooling=False");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = $"SELECT COUNT(*) FROM outbox WHERE {where};";
        return (long)command.ExecuteScalar()!;
    }
}
