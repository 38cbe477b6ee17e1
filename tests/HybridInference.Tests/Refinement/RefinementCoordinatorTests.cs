using HybridInference.Refinement;
using HybridInference.Tests.Chain;
using Microsoft.Extensions.DependencyInjection;

namespace HybridInference.Tests.Refinement;

/// <summary>
/// Which requests are refined, and how the outbox's passes send them: category defaults, a request's own choice, the
/// cloud budget, retries with backoff, and failure after MaxAttempts refusals. Passes are run one at a time on the fake
/// clock (no hosted worker runs here: the services are not a host).
/// </summary>
public sealed class RefinementCoordinatorTests
{
    private static HybridHost Host(string refinement = "", string cloud = "") => HybridHost.Create(
        HybridHost.DefaultJson
            .Replace("\"Pricing\":", $$"""
                "Refinement": { {{refinement}} "Outbox": { "RetryDelay": "00:00:01", "MaxRetryDelay": "00:00:08", "MaxAttempts": 2 } },
                "Pricing":
                """, StringComparison.Ordinal)
            .Replace("\"Cloud\": { ", "\"Cloud\": { " + cloud, StringComparison.Ordinal));

    private static RefinementCoordinator Outbox(HybridHost host) => host.Provider.GetRequiredService<RefinementCoordinator>();

    [Fact]
    public async Task CategoryDefault_RefinesWithoutAsking_AndWithRefinementFalseTurnsItOff()
    {
        using var host = Host(refinement: """ "Categories": [ "Routine" ], """);
        host.Local.DefaultReply = r => "draft";

        var byDefault = await host.Chat.GetResponseAsync("Write a tagline for a bakery.");
        var turnedOff = await host.Chat.GetResponseAsync("Write a tagline for a bakery.", new ChatOptions().WithRefinement(false));

        Assert.NotNull(byDefault.GetRefinement());
        Assert.Null(turnedOff.GetRefinement());
        Assert.Equal(1, Outbox(host).Snapshot().Waiting);
    }

    [Fact]
    public async Task WithRefinement_AnswerFromTheCloud_NeedsNone_AndNothingIsQueued()
    {
        using var host = Host();
        host.Cloud!.DefaultReply = r => "cloud answer";

        var response = await host.Chat.GetResponseAsync("Find the root cause of this deadlock step by step.", new ChatOptions().WithRefinement());

        var outcome = await response.GetRefinement()!.Completion;
        Assert.Equal(RefinementStatus.NotNeeded, outcome.Status);
        Assert.Equal(0, Outbox(host).Snapshot().Waiting);
        Assert.Equal(1, host.Metrics.Sum("hybrid_inference.refinement.not_sent", ("reason", "not_needed")));
    }

    [Fact]
    public async Task Pass_SendsWithinTheCloudBudget_TheRestWaitForRoom()
    {
        using var host = Host(cloud: "\"RequestsPerMinute\": 2, ");
        host.Local.DefaultReply = r => "draft";
        host.Cloud!.DefaultReply = r => "refined";
        for (var i = 0; i < 5; i++)
        {
            await host.Chat.GetResponseAsync($"Write tagline {i}.", new ChatOptions().WithRefinement());
        }

        Assert.Equal(2, await Outbox(host).RunOnceAsync(CancellationToken.None));
        Assert.Equal(0, await Outbox(host).RunOnceAsync(CancellationToken.None));
        host.Time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(2, await Outbox(host).RunOnceAsync(CancellationToken.None));
        Assert.Equal((1L, 4L), (Outbox(host).Snapshot().Waiting, Outbox(host).Snapshot().Delivered));
        Assert.Equal(4, host.Cloud.RequestCount);
    }

    [Fact]
    public async Task Pass_CloudAway_RetriesWithDoublingBackoff_NeverFailsTheItem_AndKeepsTheOrder()
    {
        using var host = Host();
        host.Local.DefaultReply = r => "draft";
        var cloudUp = false;
        host.Cloud!.DefaultReply = r => cloudUp ? "refined " + r.Messages[0].Text : throw new HttpRequestException("Connection refused");
        var first = (await host.Chat.GetResponseAsync("one", new ChatOptions().WithRefinement())).GetRefinement()!;
        var second = (await host.Chat.GetResponseAsync("two", new ChatOptions().WithRefinement())).GetRefinement()!;

        // Sends at 0, 1, 3, 7, 15 s: the wait doubles from RetryDelay (the sixth would wait MaxRetryDelay); the second
        // waits behind the first. The fifth failure in a row opens the cloud breaker (Routing:FailuresBeforeBreak), and
        // nothing is sent while it is open (BreakDuration 30 s).
        var sendTimes = new List<long>();
        for (var second_ = 0; second_ <= 30; second_++)
        {
            var before = host.Cloud.RequestCount;
            await Outbox(host).RunOnceAsync(CancellationToken.None);
            if (host.Cloud.RequestCount > before)
            {
                sendTimes.Add(second_);
            }

            host.Time.Advance(TimeSpan.FromSeconds(1));
        }

        Assert.Equal([0L, 1, 3, 7, 15], sendTimes);
        Assert.Equal(Polly.CircuitBreaker.CircuitState.Open, host.Provider.GetRequiredService<IHybridInferenceStatus>().GetStatus().CloudCircuit);
        Assert.All(host.Cloud.Requests, r => Assert.Equal("one", r.Messages[0].Text));
        Assert.False(first.Completion.IsCompleted, "the cloud being away failed the item");
        Assert.Equal(5, host.Metrics.Sum("hybrid_inference.outbox.retries"));

        cloudUp = true;
        host.Time.Advance(TimeSpan.FromSeconds(15)); // the break is over
        Assert.Equal(2, await Outbox(host).RunOnceAsync(CancellationToken.None));
        Assert.Equal("refined one", (await first.Completion).Response!.Text);
        Assert.Equal("refined two", (await second.Completion).Response!.Text);
        Assert.Equal(6, (await first.Completion).Sends);
    }

    [Fact]
    public async Task Pass_CloudRefusesTheItemItself_FailsAfterMaxAttempts_AndTheNextOneGoes()
    {
        using var host = Host();
        host.Local.DefaultReply = r => "draft";
        host.Cloud!.DefaultReply = r => r.Messages[0].Text == "bad"
            ? throw new BackendException(BackendErrorKind.BadRequest, "invalid request", 400)
            : "refined";
        var bad = (await host.Chat.GetResponseAsync("bad", new ChatOptions().WithRefinement())).GetRefinement()!;
        var good = (await host.Chat.GetResponseAsync("good", new ChatOptions().WithRefinement())).GetRefinement()!;

        Assert.Equal(0, await Outbox(host).RunOnceAsync(CancellationToken.None));
        host.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await Outbox(host).RunOnceAsync(CancellationToken.None));

        var failed = await bad.Completion;
        Assert.Equal((RefinementStatus.Failed, 2), (failed.Status, failed.Sends));
        Assert.DoesNotContain("invalid request", failed.Reason, StringComparison.Ordinal); // never a server's text
        Assert.Equal(RefinementStatus.Delivered, (await good.Completion).Status);
        Assert.Equal((0L, 1L, 1L), (Outbox(host).Snapshot().Waiting, Outbox(host).Snapshot().Delivered, Outbox(host).Snapshot().Failed));
        Assert.Equal(1, host.Metrics.Sum("hybrid_inference.outbox.failed"));
    }

    [Fact]
    public async Task Status_WithoutSqlite_ShowsTheInMemoryOutbox_NotDurable()
    {
        using var host = Host();
        host.Local.DefaultReply = r => "draft";
        await host.Chat.GetResponseAsync("one", new ChatOptions().WithRefinement());

        var outbox = host.Provider.GetRequiredService<IHybridInferenceStatus>().GetStatus().Outbox!;

        Assert.Equal((false, 1L), (outbox.Durable, outbox.Waiting));
        host.Metrics.RecordObservableInstruments();
        Assert.Equal(1, host.Metrics.Of("hybrid_inference.outbox.pending")[^1].Value);
    }

    [Fact]
    public void WithRefinement_ValueOfAnotherType_IsATypedErrorNamingTheKey()
    {
        var options = new ChatOptions { AdditionalProperties = new() { [HybridChatOptionsExtensions.RefinementKey] = 3 } };

        var error = Assert.Throws<ArgumentException>(() => options.GetRefinement());

        Assert.Contains(HybridChatOptionsExtensions.RefinementKey, error.Message, StringComparison.Ordinal);
    }
}
