using HybridInference.Tests.Chain;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.Cost;

/// <summary>Routing:RequestTimeout on the fake clock: one deadline for every attempt, retry and escalation.</summary>
public sealed class RequestTimeoutTests
{
    private static HybridHost Host() => HybridHost.Create(HybridHost.DefaultJsonWith("Routing", "\"RequestTimeout\": \"00:00:05\""));

    [Fact]
    public async Task SlowLocalAnswer_PastTheDeadline_TimeoutNamingTheKey_AndNothingEscalates()
    {
        using var host = Host();
        host.Local.Reply("late", delay: TimeSpan.FromSeconds(30));
        host.Cloud!.DefaultReply = _ => "cloud";

        var call = host.Chat.GetResponseAsync(User("Summarize: the meeting moved."));
        host.Time.Advance(TimeSpan.FromSeconds(5));

        var error = await Assert.ThrowsAsync<TimeoutException>(() => call);
        Assert.Contains("HybridInference:Routing:RequestTimeout (00:00:05)", error.Message);
        Assert.Empty(host.Cloud.Requests);
    }

    [Fact]
    public async Task AnswerWithinTheDeadline_IsReturned()
    {
        using var host = Host();
        host.Local.Reply("in time", delay: TimeSpan.FromSeconds(4));

        var call = host.Chat.GetResponseAsync(User("Summarize: the meeting moved."));
        host.Time.Advance(TimeSpan.FromSeconds(4));

        Assert.Equal("in time", (await call).Text);
    }

    [Fact]
    public async Task CallerCancellation_StaysACancellation()
    {
        using var host = Host();
        host.Local.Reply("late", delay: TimeSpan.FromSeconds(30));
        using var cts = new CancellationTokenSource();

        var call = host.Chat.GetResponseAsync(User("Summarize: the meeting moved."), cancellationToken: cts.Token);
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
    }

    [Fact]
    public async Task Stream_WithoutAFirstTokenBeforeTheDeadline_TimeoutNamingTheKey_AndNothingEscalates()
    {
        using var host = Host();
        host.Local.Reply("late", delay: TimeSpan.FromSeconds(30));
        host.Cloud!.DefaultReply = _ => "cloud";

        var call = ToListAsync(host.Chat.GetStreamingResponseAsync(User("Summarize: the meeting moved.")));
        host.Time.Advance(TimeSpan.FromSeconds(5));

        var error = await Assert.ThrowsAsync<TimeoutException>(() => call);
        Assert.Contains("HybridInference:Routing:RequestTimeout (00:00:05)", error.Message);
        Assert.Equal((true, false), (error.GetRouteOutcome()!.Failed, error.GetRouteOutcome()!.OutputCommitted));
        Assert.Empty(host.Cloud.Requests);
    }

    [Fact]
    public async Task Stream_FinishingWithinTheDeadline_IsPassedOnWhole()
    {
        using var host = Host();
        host.Local.Reply("in time", delay: TimeSpan.FromSeconds(4));

        var call = ToListAsync(host.Chat.GetStreamingResponseAsync(User("Summarize: the meeting moved.")));
        host.Time.Advance(TimeSpan.FromSeconds(4));

        Assert.Equal("in time", string.Concat((await call).Select(u => u.Text)));
    }
}
