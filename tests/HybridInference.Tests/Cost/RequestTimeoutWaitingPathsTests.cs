using HybridInference.Tests.Chain;
using HybridInference.Tests.Pools;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.Cost;

/// <summary>
/// Routing:RequestTimeout on the fake clock, on every path that waits: the cloud budget's queue, a JSON retry, a
/// stream read after the first token, and layers that turn the deadline's cancellation into failures of their own.
/// Each ends in the TimeoutException at the deadline, not earlier, not later.
/// </summary>
public sealed class RequestTimeoutWaitingPathsTests
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(5);

    private static string WithDeadline(string? cloud = null)
    {
        var json = HybridHost.DefaultJsonWith("Routing", "\"RequestTimeout\": \"00:00:05\"");
        return cloud is null ? json : json.Replace("\"Cloud\": { ", "\"Cloud\": { " + cloud + ", ", StringComparison.Ordinal);
    }

    /// <summary>Moves the clock to just before the deadline (the call must still run), then to it, and returns how the call ended.</summary>
    private static async Task<Exception?> AtTheDeadlineAsync(FakeTimeProvider time, Task call, TimeSpan alreadyPassed = default)
    {
        var left = Deadline - alreadyPassed - TimeSpan.FromMilliseconds(1);
        for (var step = TimeSpan.FromSeconds(1); left > TimeSpan.Zero; left -= step)
        {
            time.Advance(left < step ? left : step);
            await Task.Delay(15);
        }

        Assert.False(call.IsCompleted, "The request ended before its deadline.");
        time.Advance(TimeSpan.FromMilliseconds(1));
        return await Record.ExceptionAsync(() => call.WaitAsync(TimeSpan.FromSeconds(5)));
    }

    private static void AssertDeadline(Exception? error, bool carriesTheOutcome = true)
    {
        var timeout = Assert.IsType<TimeoutException>(error);
        Assert.Contains("HybridInference:Routing:RequestTimeout (00:00:05)", timeout.Message, StringComparison.Ordinal);
        Assert.True(!carriesTheOutcome || timeout.GetRouteOutcome()!.Failed);
    }

    [Theory]
    [InlineData("complex", false)]
    [InlineData("complex", true)]
    [InlineData("too long for local", false)]
    [InlineData("too long for local", true)]
    public async Task CloudBudgetQueue_LongerThanTheDeadline_TimeoutAtTheDeadline(string why, bool streaming)
    {
        using var host = HybridHost.Create(WithDeadline("\"RequestsPerMinute\": 1, \"RateLimitQueueTime\": \"00:01:00\""));
        host.Cloud!.DefaultReply = _ => "cloud";
        host.Local.DefaultReply = _ => "local";
        var (prompt, options) = why == "complex"
            ? (User("Summarize: the meeting moved."), new ChatOptions().WithTaskCategory(TaskCategory.Complex))
            : (User(LongText(5000)), new ChatOptions());
        await host.Chat.GetResponseAsync(prompt, options);

        Task call = streaming ? ToListAsync(host.Chat.GetStreamingResponseAsync(prompt, options)) : host.Chat.GetResponseAsync(prompt, options);
        AssertDeadline(await AtTheDeadlineAsync(host.Time, call));

        Assert.Single(host.Cloud.Requests);
        Assert.Empty(host.Local.Requests);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task JsonRetry_SlowerThanTheDeadline_TimeoutAtTheDeadline_NothingEscalates(bool streaming)
    {
        using var host = HybridHost.Create(WithDeadline());
        host.Local.Reply("""{"name":"Ada"}""", delay: TimeSpan.FromSeconds(1)).Reply(ValidPerson, delay: TimeSpan.FromSeconds(60));
        host.Cloud!.DefaultReply = _ => ValidPerson;

        Task call = streaming ? ToListAsync(host.Chat.GetStreamingResponseAsync(User("Extract."), Json())) : host.Chat.GetResponseAsync(User("Extract."), Json());
        AssertDeadline(await AtTheDeadlineAsync(host.Time, call));

        Assert.Equal(2, host.Local.Requests.Count);
        Assert.Empty(host.Cloud.Requests);
    }

    [Theory]
    [InlineData("nothing")]
    [InlineData("role")]
    [InlineData("empty-text")]
    [InlineData("usage")]
    public async Task StreamRead_AfterTheFirstToken_SilentOrContentFree_TimeoutInsideStreamInterrupted_AtTheDeadline(string trickle)
    {
        var local = new ChannelChatClient("local").Stream(ChannelChatClient.Token("Hel"));
        using var host = new ClientsHost(WithDeadline(), local, new FakeChatClient("cloud") { DefaultReply = _ => "cloud" });
        var reading = host.Chat.GetStreamingResponseAsync(User("Summarize: the meeting moved.")).GetAsyncEnumerator();
        Assert.True(await reading.MoveNextAsync());

        var rest = Task.Run(async () =>
        {
            while (await reading.MoveNextAsync())
            {
            }
        });
        for (var second = 1; second < 5; second++)
        {
            host.Time.Advance(TimeSpan.FromSeconds(1));
            if (trickle != "nothing")
            {
                local.Write(ChannelChatClient.ContentFree(trickle));
            }

            await Task.Delay(15);
        }

        var error = await AtTheDeadlineAsync(host.Time, rest, alreadyPassed: TimeSpan.FromSeconds(4));

        var interrupted = Assert.IsType<StreamInterruptedException>(error);
        AssertDeadline(interrupted.InnerException, carriesTheOutcome: false);
        Assert.True(interrupted.GetRouteOutcome()!.OutputCommitted && interrupted.GetRouteOutcome()!.Failed);
        await reading.DisposeAsync();
    }

    /// <summary>
    /// The deadline reaches the backends as a cancellation; a backend client (or a layer) that reports it as a failure
    /// of its own (a BackendException, a refused escalation) must not hide that the request ran out of time.
    /// </summary>
    [Theory]
    [MemberData(nameof(Reports))]
    public async Task BackendsReportTheCancellationAsTheirOwnFailure_StillTimeoutAtTheDeadline(string reportedAs, string route, bool streaming)
    {
        Exception Report() => reportedAs switch
        {
            "backend timeout" => new BackendException(BackendErrorKind.Timeout, "The backend did not answer in time."),
            "server error" => new BackendException(BackendErrorKind.ServerError, "The backend answered 500.", 500),
            _ => new InvalidOperationException("The backend's client was cancelled."),
        };
        var local = new CancellationReportingClient("local", Report);
        var cloud = new CancellationReportingClient("cloud", Report);
        using var host = new ClientsHost(WithDeadline(), local, cloud);

        var options = route switch
        {
            "local only" => new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly),
            "cloud" => new ChatOptions().WithTaskCategory(TaskCategory.Complex),
            "json" => Json(),
            _ => new ChatOptions(),
        };

        Task call = streaming
            ? ToListAsync(host.Chat.GetStreamingResponseAsync(User("Summarize: the meeting moved."), options))
            : host.Chat.GetResponseAsync(User("Summarize: the meeting moved."), options);
        AssertDeadline(await AtTheDeadlineAsync(host.Time, call));
    }

    public static readonly TheoryData<string, string, bool> Reports = AllReports();

    private static TheoryData<string, string, bool> AllReports()
    {
        var data = new TheoryData<string, string, bool>();
        foreach (var reportedAs in new[] { "backend timeout", "server error", "raw" })
        {
            foreach (var route in new[] { "local", "local only", "cloud", "json" })
            {
                data.Add(reportedAs, route, false);
                data.Add(reportedAs, route, true);
            }
        }

        return data;
    }
}
