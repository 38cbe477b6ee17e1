using HybridInference.Telemetry;
using HybridInference.Tests.Chain;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.Routing;

public sealed partial class HedgingTests
{
    /// <summary>
    /// Both halves of a hedged request fail, in every combination (and, for "slow", the local half never answers
    /// before Routing:RequestTimeout): the caller sees one of the README's typed exceptions, or the TimeoutException at
    /// the deadline, never a raw exception of a backend nor a cancellation it did not ask for.
    /// </summary>
    [Theory]
    [MemberData(nameof(BothHalvesFail))]
    public async Task BothHalvesFail_TheCallerGetsATypedException_NeverARawOneOrAnUnaskedCancellation(string localOutcome, string cloudOutcome, bool streaming)
    {
        var json = HybridHost.DefaultJsonWith("Routing", "\"HedgeDelay\": \"00:00:02\", \"RequestTimeout\": \"00:00:10\"")
            .Replace("\"MinimumThroughput\": 20", "\"MinimumThroughput\": 2", StringComparison.Ordinal);
        if (cloudOutcome == "budget exhausted")
        {
            json = json.Replace("\"Cloud\": { ", "\"Cloud\": { \"RequestsPerMinute\": 1, \"RateLimitQueueTime\": \"00:00:00\", ", StringComparison.Ordinal);
        }

        using var host = HybridHost.Create(json);
        var jsonRequest = cloudOutcome == "validation";
        if (cloudOutcome == "budget exhausted")
        {
            host.Cloud!.Reply("spends the budget");
            await host.Chat.GetResponseAsync(User("Summarize: x."), new ChatOptions().WithTaskCategory(TaskCategory.Complex));
        }
        else if (cloudOutcome == "circuit open")
        {
            for (var i = 0; i < 2; i++)
            {
                host.Cloud!.Throw(new BackendException(BackendErrorKind.ServerError, "The backend 'cloud' answered 500.", 500));
                await Assert.ThrowsAsync<CloudUnavailableException>(() => host.Chat.GetResponseAsync(User("Summarize: x."), new ChatOptions().WithTaskCategory(TaskCategory.SafetyCritical)));
            }
        }

        var localFailure = LocalFailure(localOutcome);
        if (localOutcome == "slow")
        {
            host.Local.Reply(jsonRequest ? ValidPerson : "too late", delay: TimeSpan.FromSeconds(60));
        }
        else
        {
            host.Local.Throw(localFailure, delay: TimeSpan.FromSeconds(3));
        }

        var cloudDelay = cloudOutcome == "slow to fail" ? TimeSpan.FromSeconds(4) : TimeSpan.Zero;
        switch (cloudOutcome)
        {
            case "server error" or "slow to fail":
                host.Cloud!.Throw(new BackendException(BackendErrorKind.ServerError, "The backend 'cloud' answered 503.", 503), cloudDelay);
                break;
            case "timeout":
                host.Cloud!.Throw(new BackendException(BackendErrorKind.Timeout, "The backend 'cloud' did not answer in time."));
                break;
            case "rate limited":
                host.Cloud!.Throw(new BackendException(BackendErrorKind.RateLimited, "The backend 'cloud' answered 429.", 429, TimeSpan.FromSeconds(1)));
                break;
            case "validation":
                host.Cloud!.Reply("""{"name":"Ada"}""");
                break;
            case "raw bug":
                host.Cloud!.Throw(new InvalidOperationException("a bug in the cloud backend's client"));
                break;
            case "own cancellation":
                host.Cloud!.Throw(new OperationCanceledException("the cloud client's own timer"));
                break;
        }

        var options = jsonRequest ? Json() : new ChatOptions();
        Task call = streaming
            ? ToListAsync(host.Chat.GetStreamingResponseAsync(User("Summarize: the meeting moved."), options))
            : host.Chat.GetResponseAsync(User("Summarize: the meeting moved."), options);
        for (var second = 1; second <= 9; second++)
        {
            host.Time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(15);
        }

        if (localOutcome == "slow")
        {
            Assert.False(call.IsCompleted, "The request ended before its deadline.");
        }

        host.Time.Advance(TimeSpan.FromSeconds(1));
        var error = await Record.ExceptionAsync(() => call.WaitAsync(TimeSpan.FromSeconds(5)));

        Assert.NotNull(error);
        Assert.IsNotAssignableFrom<OperationCanceledException>(error);
        if (localOutcome == "slow")
        {
            Assert.IsType<TimeoutException>(error);
            Assert.Contains("RequestTimeout", error.Message, StringComparison.Ordinal);
        }
        else
        {
            Assert.IsAssignableFrom<HybridInferenceException>(error);
            Assert.IsNotType<StreamInterruptedException>(error);
            if (localFailure is HybridInferenceException && cloudOutcome != "circuit open")
            {
                Assert.Same(localFailure, error);
            }
        }

        Assert.True(error.GetRouteOutcome()!.Failed);
        Assert.False(error.GetRouteOutcome()!.OutputCommitted);
    }

    [Theory]
    [InlineData(false, 1)]
    [InlineData(true, 1)]
    [InlineData(false, 3)]
    [InlineData(true, 3)]
    public async Task CallerCancels_BeforeOrAfterTheHedgeStarted_IsTheCallersCancellation(bool streaming, int cancelAtSecond)
    {
        using var host = Host();
        host.Local.Reply("late", delay: TimeSpan.FromSeconds(30));
        host.Cloud!.Reply("late", delay: TimeSpan.FromSeconds(30));
        using var cancellation = new CancellationTokenSource();

        Task call = streaming
            ? ToListAsync(host.Chat.GetStreamingResponseAsync(User("Summarize: the meeting moved."), cancellationToken: cancellation.Token))
            : host.Chat.GetResponseAsync(User("Summarize: the meeting moved."), cancellationToken: cancellation.Token);
        for (var second = 1; second <= cancelAtSecond; second++)
        {
            host.Time.Advance(TimeSpan.FromSeconds(1));
            await Task.Delay(15);
        }

        await cancellation.CancelAsync();
        var error = await Record.ExceptionAsync(() => call.WaitAsync(TimeSpan.FromSeconds(5)));

        Assert.IsAssignableFrom<OperationCanceledException>(error);
        Assert.Equal(cancelAtSecond > 2 ? 1 : 0, host.Cloud.Requests.Count);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task DeadlineBeforeTheHedgeDelay_TimeoutAtTheDeadline_AndNoCloudCall(bool streaming)
    {
        using var host = HybridHost.Create(HybridHost.DefaultJsonWith("Routing", "\"HedgeDelay\": \"00:00:02\", \"RequestTimeout\": \"00:00:01\""));
        host.Local.Reply("late", delay: TimeSpan.FromSeconds(30));
        host.Cloud!.DefaultReply = _ => "cloud";

        Task call = streaming
            ? ToListAsync(host.Chat.GetStreamingResponseAsync(User("Summarize: the meeting moved.")))
            : host.Chat.GetResponseAsync(User("Summarize: the meeting moved."));
        host.Time.Advance(TimeSpan.FromSeconds(1));
        var error = await Record.ExceptionAsync(() => call.WaitAsync(TimeSpan.FromSeconds(5)));
        host.Time.Advance(TimeSpan.FromSeconds(5));
        await Task.Delay(50);

        Assert.IsType<TimeoutException>(error);
        Assert.Empty(host.Cloud.Requests);
        Assert.Equal(0, host.Metrics.Sum(HybridInferenceTelemetry.Hedges));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task BothHalvesSlow_TimeoutAtTheDeadline_BothAreCancelled(bool streaming)
    {
        using var host = HybridHost.Create(HybridHost.DefaultJsonWith("Routing", "\"HedgeDelay\": \"00:00:02\", \"RequestTimeout\": \"00:00:05\""));
        host.Local.Reply("late", delay: TimeSpan.FromSeconds(30));
        host.Cloud!.Reply("late", delay: TimeSpan.FromSeconds(30));

        Task call = streaming
            ? ToListAsync(host.Chat.GetStreamingResponseAsync(User("Summarize: the meeting moved.")))
            : host.Chat.GetResponseAsync(User("Summarize: the meeting moved."));
        host.Time.Advance(TimeSpan.FromSeconds(2));
        await WaitUntilAsync(() => host.Cloud.Requests.Count == 1);
        host.Time.Advance(TimeSpan.FromSeconds(3) - TimeSpan.FromMilliseconds(1));
        await Task.Delay(20);
        Assert.False(call.IsCompleted);
        host.Time.Advance(TimeSpan.FromMilliseconds(1));

        var error = await Record.ExceptionAsync(() => call.WaitAsync(TimeSpan.FromSeconds(5)));
        var timeout = Assert.IsType<TimeoutException>(error);
        Assert.Contains("RequestTimeout (00:00:05)", timeout.Message, StringComparison.Ordinal);
        Assert.Equal(2, timeout.GetRouteOutcome()!.Attempts);
    }

    /// <summary>Waits (in real time, for at most five seconds) for work that started on a timer of the fake clock to arrive.</summary>
    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var waited = 0; !condition() && waited < 5_000; waited += 10)
        {
            await Task.Delay(10);
        }

        Assert.True(condition(), "The condition did not hold within five seconds.");
    }
}
