using HybridInference.CircuitBreaker;
using Microsoft.Extensions.DependencyInjection;
using Polly.CircuitBreaker;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.CircuitBreaker;

/// <summary>
/// <see cref="RoutingOptions.FailuresBeforeBreak"/>: a lane whose attempts fail in a row opens at any traffic, long
/// before the failure ratio's <see cref="RoutingOptions.MinimumThroughput"/> is reached (a dead or stalled server).
/// </summary>
public sealed class FailuresInARowTests
{
    private readonly FakeTimeProvider _time = new();

    /// <summary>Failures of every kind the breaker counts, by name (xUnit shows the name).</summary>
    public static TheoryData<string> CountedFailures => [.. Failures.Keys];

    private static readonly Dictionary<string, Func<Exception>> Failures = new()
    {
        ["timeout"] = () => new BackendException(BackendErrorKind.Timeout, "no answer within 30 s"),
        ["refused"] = () => new BackendException(BackendErrorKind.Unavailable, "connection refused"),
        ["server error"] = () => new BackendException(BackendErrorKind.ServerError, "500", 500),
        ["loading"] = () => new BackendException(BackendErrorKind.ModelLoading, "503", 503),
        ["disconnected"] = () => new BackendException(BackendErrorKind.Disconnected, "cut"),
        ["raw timeout"] = () => new TimeoutException(),
        ["raw http"] = () => new HttpRequestException("refused"),
        ["invalid json"] = () => new OutputValidationException("invalid", [], null, ValidationFailureReason.InvalidJson),
    };

    private (IChatClient Chat, LaneCircuit Circuit) Create(FakeChatClient local, RoutingOptions? options = null)
    {
        var services = new ServiceCollection().AddSingleton<TimeProvider>(_time).BuildServiceProvider();
        var chat = new ChatClientBuilder(local).UseCircuitBreaker(options ?? new RoutingOptions()).Build(services);
        return (chat, chat.GetService<LaneCircuit>()!);
    }

    private static async Task CallAsync(IChatClient chat)
    {
        try
        {
            await chat.GetResponseAsync(User("x"));
        }
        catch (Exception ex) when (ex is not BrokenCircuitException)
        {
        }
    }

    [Theory]
    [MemberData(nameof(TrafficLevels))]
    public async Task FailuresInARow_OpenTheCircuit_AtAnyTraffic(string failure, int secondsApart)
    {
        var local = new FakeChatClient { DefaultReply = _ => throw Failures[failure]() };
        var (chat, circuit) = Create(local);

        for (var i = 0; i < 4; i++)
        {
            await CallAsync(chat);
            _time.Advance(TimeSpan.FromSeconds(secondsApart));
        }

        Assert.Equal(CircuitState.Closed, circuit.State);
        await CallAsync(chat);

        Assert.Equal(CircuitState.Open, circuit.State);
        Assert.True(circuit.IsRejecting);
        await Assert.ThrowsAsync<BrokenCircuitException>(() => chat.GetResponseAsync(User("x")));
        Assert.Equal(5, local.Requests.Count);
    }

    /// <summary>Every counted kind at three rates: a burst, one every 5 s, one every 50 s (the minute's window never holds 20).</summary>
    public static TheoryData<string, int> TrafficLevels()
    {
        var data = new TheoryData<string, int>();
        foreach (var failure in Failures.Keys)
        {
            foreach (var seconds in new[] { 0, 5, 50 })
            {
                data.Add(failure, seconds);
            }
        }

        return data;
    }

    [Theory]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(12)]
    public async Task FailuresBeforeBreak_IsTheNumberInARowThatOpens(int failuresBeforeBreak)
    {
        var local = new FakeChatClient { DefaultReply = _ => throw new BackendException(BackendErrorKind.Timeout, "slow") };
        var (chat, circuit) = Create(local, new RoutingOptions { FailuresBeforeBreak = failuresBeforeBreak, MinimumThroughput = 100 });

        for (var i = 1; i < failuresBeforeBreak; i++)
        {
            await CallAsync(chat);
            _time.Advance(TimeSpan.FromSeconds(10));
            Assert.Equal(CircuitState.Closed, circuit.State);
        }

        await CallAsync(chat);
        Assert.Equal(CircuitState.Open, circuit.State);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    public async Task ASuccessInBetween_StartsTheCountAgain(int failuresBefore)
    {
        var local = new FakeChatClient();
        var (chat, circuit) = Create(local);
        var slow = new BackendException(BackendErrorKind.Timeout, "slow");
        for (var i = 0; i < failuresBefore; i++)
        {
            local.Throw(slow);
        }

        local.Reply("ok");
        for (var i = 0; i < 4; i++)
        {
            local.Throw(slow);
        }

        for (var i = 0; i < failuresBefore + 5; i++)
        {
            await CallAsync(chat);
        }

        Assert.Equal(CircuitState.Closed, circuit.State);
        local.Throw(slow);
        await CallAsync(chat);
        Assert.Equal(CircuitState.Open, circuit.State);
    }

    [Theory]
    [MemberData(nameof(NotCounted))]
    public async Task FailuresTheBreakerDoesNotCount_NeitherCountNorResetTheRun(Exception notCounted)
    {
        var local = new FakeChatClient();
        var (chat, circuit) = Create(local);
        var slow = new BackendException(BackendErrorKind.Timeout, "slow");
        local.Throw(slow).Throw(slow).Throw(slow);
        for (var i = 0; i < 10; i++)
        {
            local.Throw(notCounted);
        }

        local.Throw(slow);
        for (var i = 0; i < 14; i++)
        {
            await CallAsync(chat);
        }

        Assert.Equal(CircuitState.Closed, circuit.State);
        local.Throw(slow);
        await CallAsync(chat);
        Assert.Equal(CircuitState.Open, circuit.State);
    }

    public static TheoryData<Exception> NotCounted() =>
    [
        new ContextWindowExceededException("too long"),
        new BackendException(BackendErrorKind.BadRequest, "400", 400),
        new BackendException(BackendErrorKind.Saturated, "full"),
        new ArgumentException("bad request"),
    ];

    [Fact]
    public async Task StreamsFailingInARow_OpenTheCircuit()
    {
        var local = new FakeChatClient();
        for (var i = 0; i < 5; i++)
        {
            local.ThrowMidStream(new BackendException(BackendErrorKind.Disconnected, "cut"), "partial");
        }

        var (chat, circuit) = Create(local);
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(CircuitState.Closed, circuit.State);
            await Assert.ThrowsAsync<BackendException>(() => ToListAsync(chat.GetStreamingResponseAsync(User("x"))));
            _time.Advance(TimeSpan.FromSeconds(20));
        }

        Assert.Equal(CircuitState.Open, circuit.State);
        Assert.Equal(5, circuit.Failures[CircuitFailureReason.Disconnected]);
    }

    [Fact]
    public async Task AfterTheBreak_AFailedTrialOpensAgainAtOnce_ASuccessfulOneStartsAfresh()
    {
        var local = new FakeChatClient { DefaultReply = _ => throw new BackendException(BackendErrorKind.Unavailable, "refused") };
        var (chat, circuit) = Create(local, new RoutingOptions { RecoveryRamp = TimeSpan.Zero });
        for (var i = 0; i < 5; i++)
        {
            await CallAsync(chat);
        }

        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.False(circuit.IsRejecting);
        await CallAsync(chat); // the trial fails
        Assert.Equal(CircuitState.Open, circuit.State);
        Assert.Equal(6, local.Requests.Count);

        _time.Advance(TimeSpan.FromSeconds(30));
        local.DefaultReply = _ => "ok";
        await CallAsync(chat); // the trial succeeds
        Assert.Equal(CircuitState.Closed, circuit.State);

        local.DefaultReply = _ => throw new BackendException(BackendErrorKind.Unavailable, "refused");
        for (var i = 0; i < 4; i++)
        {
            await CallAsync(chat);
        }

        Assert.Equal(CircuitState.Closed, circuit.State); // the failures before the break no longer count
    }

    [Fact]
    public async Task TheRatio_StillOpensTheCircuit_BeforeAnyRunIsLongEnough()
    {
        var local = new FakeChatClient();
        var (chat, circuit) = Create(local, new RoutingOptions { MinimumThroughput = 6, EscalationThreshold = 0.5 });
        var slow = new BackendException(BackendErrorKind.Timeout, "slow");
        local.Throw(slow).Throw(slow).Reply("ok").Throw(slow).Throw(slow).Reply("ok").Throw(slow);

        for (var i = 0; i < 6; i++)
        {
            await CallAsync(chat);
        }

        Assert.Equal(CircuitState.Closed, circuit.State);
        await CallAsync(chat); // 5 of 7 failed, never more than 2 in a row

        Assert.Equal(CircuitState.Open, circuit.State);
        Assert.True(circuit.IsRejecting);
        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.False(circuit.IsRejecting);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(500)]
    public async Task TheRatio_OpensTheCircuit_OnTheFirstFailure_AfterADayOfSuccesses(int successesEachTime)
    {
        // The lane's breaker needs two calls in its day-long window to open when the ratio breaker opens: the successes
        // it was told of must still be there after a day, however many came in the same second.
        var local = new FakeChatClient { DefaultReply = _ => "ok" };
        var (chat, circuit) = Create(local, new RoutingOptions { MinimumThroughput = 2, EscalationThreshold = 0.5, SamplingWindow = TimeSpan.FromSeconds(30) });
        for (var i = 0; i < successesEachTime; i++)
        {
            await CallAsync(chat);
        }

        _time.Advance(TimeSpan.FromDays(2));
        for (var i = 0; i < successesEachTime; i++)
        {
            await CallAsync(chat);
        }

        _time.Advance(TimeSpan.FromSeconds(31));
        await CallAsync(chat);
        local.Throw(new BackendException(BackendErrorKind.Timeout, "slow"));
        await CallAsync(chat); // 1 of 2 in the ratio's window failed

        Assert.Equal(CircuitState.Open, circuit.State);
    }
}
