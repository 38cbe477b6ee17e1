using HybridInference.Tests.Chain;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.RateLimiting;

/// <summary>The cloud budget on the fake clock: waiting for room, running locally instead, failing with a typed error.</summary>
public sealed class CloudRateLimitTests
{
    private static HybridHost Host(string cloud) => HybridHost.Create(HybridHost.DefaultJsonWith("Cloud", cloud));

    private static ChatOptions Complex() => new ChatOptions().WithTaskCategory(TaskCategory.Complex);

    [Fact]
    public async Task BudgetSpent_ComplexRequestWaits_ThenRunsLocally()
    {
        using var host = Host("\"RequestsPerMinute\": 2, \"RateLimitQueueTime\": \"00:00:01\"");
        host.Cloud!.DefaultReply = _ => "cloud";
        host.Local.DefaultReply = _ => "local";

        await host.Chat.GetResponseAsync(User("Prove it."), Complex());
        await host.Chat.GetResponseAsync(User("Prove it."), Complex());
        var third = host.Chat.GetResponseAsync(User("Prove it."), Complex());
        Assert.False(third.IsCompleted);

        host.Time.Advance(TimeSpan.FromSeconds(1));
        var response = await third;

        Assert.Equal("local", response.Text);
        var outcome = response.GetRouteOutcome()!;
        Assert.Equal((BackendLane.Local, RouteReason.CloudRateLimited, EscalationReason.None), (outcome.Target, outcome.DecisionReason, outcome.EscalationReason));
        Assert.Equal(2, host.Cloud.Requests.Count);
    }

    [Fact]
    public async Task RoomReturns_AsTheWindowSlides()
    {
        using var host = Host("\"RequestsPerMinute\": 1, \"RateLimitQueueTime\": \"00:00:00\"");
        host.Cloud!.DefaultReply = _ => "cloud";
        host.Local.DefaultReply = _ => "local";

        Assert.Equal("cloud", (await host.Chat.GetResponseAsync(User("Prove it."), Complex())).Text);
        Assert.Equal("local", (await host.Chat.GetResponseAsync(User("Prove it."), Complex())).Text);

        host.Time.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal("cloud", (await host.Chat.GetResponseAsync(User("Prove it."), Complex())).Text);
    }

    [Fact]
    public async Task RoomFreesUpWhileWaiting_TheRequestGoesToTheCloud()
    {
        using var host = Host("\"RequestsPerMinute\": 1, \"RateLimitQueueTime\": \"00:02:00\"");
        host.Cloud!.DefaultReply = _ => "cloud";

        await host.Chat.GetResponseAsync(User("Prove it."), Complex());
        var waiting = host.Chat.GetResponseAsync(User("Prove it."), Complex());
        host.Time.Advance(TimeSpan.FromMinutes(1));

        Assert.Equal("cloud", (await waiting).Text);
        Assert.Empty(host.Local.Requests);
    }

    [Fact]
    public async Task RequestThatCannotRunLocally_FailsTyped_AndNothingIsSent()
    {
        using var host = Host("\"RequestsPerMinute\": 1, \"RateLimitQueueTime\": \"00:00:00\"");
        host.Cloud!.DefaultReply = _ => "cloud";
        await host.Chat.GetResponseAsync(User("Prove it."), Complex());

        // Too long for the local context limit: the cloud is its only place.
        var error = await Assert.ThrowsAsync<CloudRateLimitExceededException>(() => host.Chat.GetResponseAsync(User(LongText(5000))));

        Assert.Contains("Cloud:RequestsPerMinute", error.Message);
        Assert.Single(host.Cloud.Requests);
        Assert.Empty(host.Local.Requests);
    }

    [Fact]
    public async Task TokenBudget_CountsEstimatedTokens()
    {
        using var host = Host("\"TokensPerMinute\": 100, \"RateLimitQueueTime\": \"00:00:00\"");
        host.Cloud!.DefaultReply = _ => "cloud";
        host.Local.DefaultReply = _ => "local";
        var big = new ChatOptions { MaxOutputTokens = 80 }.WithTaskCategory(TaskCategory.Complex);

        Assert.Equal("cloud", (await host.Chat.GetResponseAsync(User("Prove it."), big)).Text);
        Assert.Equal("local", (await host.Chat.GetResponseAsync(User("Prove it."), big)).Text);
    }

    [Fact]
    public async Task Streaming_BudgetSpent_RunsLocally()
    {
        using var host = Host("\"RequestsPerMinute\": 1, \"RateLimitQueueTime\": \"00:00:00\"");
        host.Cloud!.DefaultReply = _ => "cloud";
        host.Local.DefaultReply = _ => "local";
        await host.Chat.GetResponseAsync(User("Prove it."), Complex());

        var text = string.Concat(await host.Chat.GetStreamingResponseAsync(User("Prove it."), Complex()).Select(u => u.Text).ToListAsync());

        Assert.Equal("local", text);
        Assert.Single(host.Cloud.Requests);
    }
}
