using HybridInference.Pools;
using Microsoft.Extensions.Logging.Abstractions;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.Pools;

/// <summary>How a pool spreads requests: strategies, weights, in-flight limits, passive ejection and probation.</summary>
public sealed class LoadBalancingTests
{
    private readonly FakeTimeProvider _time = new();

    private BackendChatClient Backend(FakeChatClient client, int weight = 1, int? maxInFlight = null) =>
        TestBackends.Create(client, client.Name, _time, weight: weight, maxInFlight: maxInFlight);

    private static BackendPoolChatClient Pool(LoadBalancingStrategy strategy, params BackendChatClient[] backends) =>
        new(BackendLane.Local, backends, strategy, NullLogger.Instance, new Random(42));

    private BackendPoolChatClient PoolWithFirstTokenLimit(params BackendChatClient[] backends) =>
        new(BackendLane.Local, backends, LoadBalancingStrategy.Ordered, NullLogger.Instance, timeToFirstToken: TimeSpan.FromSeconds(2));

    private static FakeChatClient Answering(string name) => new(name) { DefaultReply = _ => name };

    private static async Task<Dictionary<string, int>> SendAsync(IChatClient pool, int requests)
    {
        var counts = new Dictionary<string, int>();
        for (var i = 0; i < requests; i++)
        {
            var text = (await pool.GetResponseAsync(User("x"))).Text;
            counts[text] = counts.GetValueOrDefault(text) + 1;
        }

        return counts;
    }

    [Fact]
    public async Task WeightedRoundRobin_ThreeToOne_GivesExactlyThreeToOne()
    {
        var pool = Pool(LoadBalancingStrategy.WeightedRoundRobin, Backend(Answering("big"), weight: 3), Backend(Answering("small"), weight: 1));

        var counts = await SendAsync(pool, 400);

        Assert.Equal(300, counts["big"]);
        Assert.Equal(100, counts["small"]);
    }

    [Fact]
    public async Task WeightedRoundRobin_Interleaves_RatherThanBursting()
    {
        var pool = Pool(LoadBalancingStrategy.WeightedRoundRobin, Backend(Answering("a"), weight: 2), Backend(Answering("b"), weight: 1));

        var sequence = new List<string>();
        for (var i = 0; i < 6; i++)
        {
            sequence.Add((await pool.GetResponseAsync(User("x"))).Text);
        }

        Assert.Equal(["a", "b", "a", "a", "b", "a"], sequence);
    }

    [Fact]
    public async Task PowerOfTwoChoices_WithEqualLatency_FollowsTheWeightsStatistically()
    {
        // Fixed seed; both backends answer at once (zero latency on the fake clock), so the draws decide.
        var pool = Pool(LoadBalancingStrategy.PowerOfTwoChoices, Backend(Answering("a"), weight: 1), Backend(Answering("b"), weight: 1), Backend(Answering("c"), weight: 2));

        var counts = await SendAsync(pool, 4000);

        // With three backends two are drawn, and the heavier one wins ties: it gets the most, the others about even.
        Assert.True(counts["c"] > counts["a"] && counts["c"] > counts["b"], string.Join(", ", counts));
        Assert.InRange(counts["a"] / (double)counts["b"], 0.85, 1.15);
    }

    [Fact]
    public async Task PowerOfTwoChoices_PrefersTheBackendWithLowerLatency()
    {
        var slow = Backend(Answering("slow"));
        var fast = Backend(Answering("fast"));
        slow.State.RecordSuccess(TimeSpan.FromMilliseconds(400));
        fast.State.RecordSuccess(TimeSpan.FromMilliseconds(40));
        var pool = Pool(LoadBalancingStrategy.PowerOfTwoChoices, slow, fast);

        var counts = await SendAsync(pool, 50);

        Assert.Equal(50, counts["fast"]);
    }

    [Fact]
    public async Task LeastOutstanding_SendsTheNextRequestToTheIdleBackend()
    {
        var busy = new FakeChatClient("busy") { TimeProvider = _time };
        busy.Reply("busy", delay: TimeSpan.FromSeconds(10));
        var idle = Answering("idle");
        var pool = Pool(LoadBalancingStrategy.LeastOutstanding, Backend(busy), Backend(idle));

        // With both idle the tie goes round robin, starting with the first backend: it takes the slow request.
        var held = pool.GetResponseAsync(User("x"));
        Assert.Single(busy.Requests);

        var counts = await SendAsync(pool, 5);

        Assert.Equal(5, counts["idle"]);
        Assert.Single(busy.Requests);
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal("busy", (await held).Text);
    }

    [Fact]
    public async Task MaxConcurrentRequests_AFullBackendIsPassedOver()
    {
        var limited = new FakeChatClient("limited") { TimeProvider = _time };
        limited.Reply("limited", delay: TimeSpan.FromSeconds(5));
        var other = Answering("other");
        var pool = Pool(LoadBalancingStrategy.Ordered, Backend(limited, maxInFlight: 1), Backend(other));

        var held = pool.GetResponseAsync(User("x"));
        var counts = await SendAsync(pool, 3);

        Assert.Equal(3, counts["other"]);
        Assert.Single(limited.Requests);
        _time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal("limited", (await held).Text);
    }

    [Fact]
    public async Task MaxConcurrentRequests_OnlyBackendFull_SaturatedBeforeAnythingIsSent()
    {
        var limited = new FakeChatClient("limited") { TimeProvider = _time };
        limited.Reply("limited", delay: TimeSpan.FromSeconds(5));
        var pool = Pool(LoadBalancingStrategy.Ordered, Backend(limited, maxInFlight: 1));

        var held = pool.GetResponseAsync(User("x"));
        var error = await Assert.ThrowsAsync<BackendException>(() => pool.GetResponseAsync(User("x")));

        Assert.Equal(BackendErrorKind.Saturated, error.Kind);
        Assert.Single(limited.Requests);
        _time.Advance(TimeSpan.FromSeconds(5));
        await held;
    }

    [Fact]
    public async Task FailuresInARow_EjectTheBackend_ThenProbationReturnsIt()
    {
        var flaky = new FakeChatClient("flaky") { DefaultReply = _ => "flaky" };
        flaky.Throw(new HttpRequestException("refused")).Throw(new HttpRequestException("refused")).Throw(new HttpRequestException("refused"));
        var steady = Answering("steady");
        var flakyBackend = Backend(flaky);
        var pool = Pool(LoadBalancingStrategy.Ordered, flakyBackend, Backend(steady));

        // Three failures in a row (each failed over to "steady"), then the backend is ejected.
        await SendAsync(pool, 3);
        Assert.Equal(BackendHealth.Ejected, flakyBackend.State.Health);

        var whileEjected = await SendAsync(pool, 10);
        Assert.Equal(10, whileEjected["steady"]);
        Assert.Equal(3, flaky.Requests.Count);

        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.Equal(BackendHealth.Probation, flakyBackend.State.Health);
        Assert.Equal("flaky", (await pool.GetResponseAsync(User("x"))).Text);
        Assert.Equal(BackendHealth.Healthy, flakyBackend.State.Health);
    }

    [Fact]
    public async Task ProbationTrialFails_EjectsAgainAtOnce()
    {
        var flaky = new FakeChatClient("flaky") { DefaultReply = _ => throw new HttpRequestException("still down") };
        var flakyBackend = Backend(flaky);
        var pool = Pool(LoadBalancingStrategy.Ordered, flakyBackend, Backend(Answering("steady")));
        await SendAsync(pool, 3);

        _time.Advance(TimeSpan.FromSeconds(30));
        await SendAsync(pool, 1);

        Assert.Equal(BackendHealth.Ejected, flakyBackend.State.Health);
        Assert.Equal(4, flaky.Requests.Count);
    }

    [Fact]
    public async Task BadRequestsAndContextRejections_DoNotEject()
    {
        var picky = new FakeChatClient("picky");
        for (var i = 0; i < 5; i++)
        {
            picky.Throw(new BackendException(BackendErrorKind.BadRequest, "bad"));
        }

        var backend = Backend(picky);
        var pool = Pool(LoadBalancingStrategy.Ordered, backend, Backend(Answering("other")));

        await SendAsync(pool, 5);

        Assert.Equal(BackendHealth.Healthy, backend.State.Health);
        Assert.Equal("BackendException: BadRequest", backend.State.Snapshot(backend.Info).LastError);
    }

    [Fact]
    public void Status_ReportsLatencyInFlightSuccessRateAndLastError()
    {
        var backend = Backend(Answering("a"));
        backend.State.RecordSuccess(TimeSpan.FromMilliseconds(100));
        backend.State.RecordSuccess(TimeSpan.FromMilliseconds(200));
        backend.State.RecordFailure(new BackendException(BackendErrorKind.ServerError, "Internal error: sk-live-0123456789abcdef", 500), countsAgainstHealth: true);

        var status = backend.State.Snapshot(backend.Info);

        Assert.Equal(3, status.Calls);
        Assert.Equal(2 / 3.0, status.SuccessRate!.Value, 3);
        Assert.Equal(120, status.LatencyEwma!.Value.TotalMilliseconds, 3);
        Assert.Equal(200, status.LatencyP95!.Value.TotalMilliseconds, 3);
        Assert.Equal(1, status.ConsecutiveFailures);
        Assert.Equal("BackendException: ServerError 500", status.LastError);
        Assert.Equal(_time.GetUtcNow(), status.LastErrorAt);
        Assert.Equal(0, status.InFlight);
    }

    [Fact]
    public async Task Stream_StallingPastTimeToFirstToken_FailsOverToTheNextBackend()
    {
        var stalled = new FakeChatClient("stalled") { TimeProvider = _time }.Reply("too late", delay: TimeSpan.FromSeconds(10));
        var fast = Answering("fast");
        var stalledBackend = Backend(stalled);
        var pool = PoolWithFirstTokenLimit(stalledBackend, Backend(fast));

        var reading = pool.GetStreamingResponseAsync(User("x")).Select(u => u.Text).ToListAsync().AsTask();
        Assert.False(reading.IsCompleted);
        _time.Advance(TimeSpan.FromSeconds(2));

        Assert.Equal("fast", string.Concat(await reading));
        Assert.Single(stalled.Requests);
        Assert.Equal(0, stalledBackend.State.InFlight);
    }

    [Fact]
    public async Task Stream_OnlyBackendStalls_TypedTimeoutNamingTheLimit()
    {
        var stalled = new FakeChatClient("stalled") { TimeProvider = _time }.Reply("too late", delay: TimeSpan.FromSeconds(10));
        var pool = PoolWithFirstTokenLimit(Backend(stalled));

        var reading = pool.GetStreamingResponseAsync(User("x")).ToListAsync().AsTask();
        _time.Advance(TimeSpan.FromSeconds(2));

        var error = await Assert.ThrowsAsync<BackendException>(() => reading);
        Assert.Equal(BackendErrorKind.Timeout, error.Kind);
        Assert.Contains("time-to-first-token limit of 2 s", error.Message);
    }

    [Fact]
    public async Task Stream_UpdatesWithoutContent_AreHeldBackUntilTheFirstToken_ThenAllPassed()
    {
        var backend = new FakeChatClient("chunks").ReplyInChunks("", "", "Hel", "lo");
        var pool = Pool(LoadBalancingStrategy.Ordered, Backend(backend));

        var texts = await pool.GetStreamingResponseAsync(User("x")).Select(u => u.Text).ToListAsync();

        Assert.Equal(["", "", "Hel", "lo", ""], texts);
    }

    [Fact]
    public async Task LeastOutstanding_CountsTheQueueTheServerReports()
    {
        var queued = Backend(Answering("queued"));
        queued.State.RecordProbe(healthy: true, queueDepth: 4);
        var pool = Pool(LoadBalancingStrategy.LeastOutstanding, queued, Backend(Answering("free")));

        var counts = await SendAsync(pool, 6);

        Assert.Equal(6, counts["free"]);
        Assert.Equal(4, queued.State.Snapshot(queued.Info).ReportedQueue);
    }
}
