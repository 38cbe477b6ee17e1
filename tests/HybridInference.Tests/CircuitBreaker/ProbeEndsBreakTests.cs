using HybridInference.CircuitBreaker;
using HybridInference.Pools;
using HybridInference.Tests.Chain;
using Microsoft.Extensions.DependencyInjection;
using Polly.CircuitBreaker;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.CircuitBreaker;

/// <summary>
/// A health probe that passes while the lane's circuit is open ends the break: the next request is the half-open
/// trial, long before <see cref="RoutingOptions.BreakDuration"/>; the recovery ramp still follows. A probe that fails,
/// or one that passed before the circuit opened, leaves the break as it is.
/// </summary>
public sealed class ProbeEndsBreakTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);
    private readonly FakeTimeProvider _time = new();

    private sealed record Lane(IChatClient Chat, LaneCircuit Circuit, ProbedBackend Backend, BackendHealthMonitor Monitor);

    /// <summary>A local lane as the chain builds it: a probed backend in a pool, the breaker above; a break of a minute, probes every 10 s.</summary>
    private Lane Create(TimeSpan? ramp = null)
    {
        var services = new ServiceCollection().AddSingleton<TimeProvider>(_time).BuildServiceProvider();
        var backend = new ProbedBackend(new FakeChatClient("local") { TimeProvider = _time });
        var options = new HybridInferenceOptions
        {
            Routing = { BreakDuration = TimeSpan.FromMinutes(1), RecoveryRamp = ramp ?? TimeSpan.Zero },
            Local = { HealthCheckInterval = Interval },
        };
        var pool = new BackendPoolBuilder(BackendLane.Local, options).AddBackend("local", backend).Build(services);
        var chat = new ChatClientBuilder(pool).UseCircuitBreaker(options.Routing).Build(services);
        return new Lane(chat, chat.GetService<LaneCircuit>()!, backend, pool.GetService<BackendPoolChatClient>()!.Monitor!);
    }

    private static async Task TripAsync(Lane lane)
    {
        lane.Backend.Fake.DefaultReply = _ => throw new BackendException(BackendErrorKind.Unavailable, "connection refused");
        for (var i = 0; i < 5; i++)
        {
            await Assert.ThrowsAnyAsync<Exception>(() => lane.Chat.GetResponseAsync(User("x")));
        }

        Assert.Equal(CircuitState.Open, lane.Circuit.State);
        Assert.True(lane.Circuit.IsRejecting);
    }

    private async Task NextProbeRoundAsync(Lane lane)
    {
        _time.Advance(Interval);
        await lane.Monitor.LastRound;
    }

    [Theory]
    [InlineData(false, 0)]
    [InlineData(false, 30)]
    [InlineData(true, 0)]
    [InlineData(true, 30)]
    public async Task PassedProbe_EndsTheBreak_TheNextRequestIsTheTrial_ThenTheRamp(bool streamed, int rampSeconds)
    {
        var lane = Create(TimeSpan.FromSeconds(rampSeconds));
        await lane.Monitor.LastRound; // the round at start
        await TripAsync(lane);
        lane.Backend.Fake.DefaultReply = _ => "back";

        await NextProbeRoundAsync(lane);

        Assert.False(lane.Circuit.IsRejecting);
        Assert.False(lane.Circuit.IsRejecting);
        Assert.Equal(CircuitState.Open, lane.Circuit.State); // reading it changed nothing
        var text = streamed
            ? string.Concat((await ToListAsync(lane.Chat.GetStreamingResponseAsync(User("x")))).Select(u => u.Text))
            : (await lane.Chat.GetResponseAsync(User("x"))).Text;
        Assert.Equal("back", text);
        Assert.Equal(CircuitState.Closed, lane.Circuit.State);

        // 10 s after the circuit opened, not the minute of the break; then the ramp, when there is one.
        Assert.Equal(rampSeconds == 0 ? 1.0 : 0.0, lane.Circuit.Share);
        _time.Advance(TimeSpan.FromSeconds(rampSeconds / 2.0));
        Assert.Equal(rampSeconds == 0 ? 1.0 : 0.5, lane.Circuit.Share, 3);
        _time.Advance(TimeSpan.FromSeconds(rampSeconds / 2.0));
        Assert.Equal(1.0, lane.Circuit.Share);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public async Task FailedProbes_KeepTheBreak_UntilItsEnd(int rounds)
    {
        var lane = Create();
        await TripAsync(lane);
        lane.Backend.Healthy = false;
        var sent = lane.Backend.Fake.Requests.Count;

        for (var i = 0; i < rounds; i++)
        {
            await NextProbeRoundAsync(lane);
            Assert.True(lane.Circuit.IsRejecting);
            await Assert.ThrowsAsync<BrokenCircuitException>(() => lane.Chat.GetResponseAsync(User("x")));
        }

        Assert.Equal(sent, lane.Backend.Fake.Requests.Count);
        _time.Advance(TimeSpan.FromMinutes(1) - (Interval * rounds));
        Assert.False(lane.Circuit.IsRejecting); // the break itself still ends
    }

    [Fact]
    public async Task ProbePassedBeforeTheCircuitOpened_DoesNotEndTheBreak()
    {
        var lane = Create();
        await lane.Monitor.LastRound;
        Assert.Equal(1, lane.Monitor.Signal.Passes);

        await TripAsync(lane);
        lane.Backend.Fake.DefaultReply = _ => "back";

        Assert.True(lane.Circuit.IsRejecting);
        await Assert.ThrowsAsync<BrokenCircuitException>(() => lane.Chat.GetResponseAsync(User("x")));
        Assert.Equal(CircuitState.Open, lane.Circuit.State);
    }

    [Fact]
    public async Task TrialFailsAfterAPassedProbe_TheBreakStartsAgain_AndTheNextPassedProbeEndsIt()
    {
        var lane = Create();
        await TripAsync(lane);
        await NextProbeRoundAsync(lane);
        Assert.False(lane.Circuit.IsRejecting);

        await Assert.ThrowsAsync<BackendException>(() => lane.Chat.GetResponseAsync(User("x"))); // the trial fails
        Assert.Equal(CircuitState.Open, lane.Circuit.State);
        Assert.True(lane.Circuit.IsRejecting);

        lane.Backend.Fake.DefaultReply = _ => "back";
        await NextProbeRoundAsync(lane);
        Assert.Equal("back", (await lane.Chat.GetResponseAsync(User("x"))).Text);
        Assert.Equal(CircuitState.Closed, lane.Circuit.State);
    }

    [Fact]
    public async Task AfterAPassedProbe_OnlyOneTrialGoesThrough()
    {
        var lane = Create();
        await TripAsync(lane);
        lane.Backend.Fake.Reply("slow trial", delay: TimeSpan.FromSeconds(2));
        lane.Backend.Fake.DefaultReply = _ => "back";
        await NextProbeRoundAsync(lane);

        var trial = lane.Chat.GetResponseAsync(User("x"));
        await Assert.ThrowsAsync<BrokenCircuitException>(() => lane.Chat.GetResponseAsync(User("x")));
        for (var i = 0; i < 100 && !trial.IsCompleted; i++)
        {
            // The trial may reach the backend's delay on another thread (Polly runs its state callbacks on its own): step the clock until it is done.
            _time.Advance(TimeSpan.FromSeconds(1));
            await Task.Yield();
        }

        Assert.Equal("slow trial", (await trial).Text);
        Assert.Equal(CircuitState.Closed, lane.Circuit.State);
    }

    [Theory]
    [InlineData(BackendErrorKind.Timeout)]
    [InlineData(BackendErrorKind.Unavailable)]
    [InlineData(BackendErrorKind.ServerError)]
    [InlineData(BackendErrorKind.Disconnected)]
    public async Task LocalOnly_WhileOpen_NeverReachesTheCloud_UntilAProbeEndsTheBreak(BackendErrorKind kind)
    {
        ProbedBackend? probed = null;
        using var host = HybridHost.Create(
            HybridHost.DefaultJson
                .Replace("\"BreakDuration\": \"00:00:30\"", "\"BreakDuration\": \"00:10:00\", \"RecoveryRamp\": \"00:00:00\"", StringComparison.Ordinal)
                .Replace("\"Local\": { ", "\"Local\": { \"HealthCheckInterval\": \"00:00:10\", ", StringComparison.Ordinal),
            wrapLocal: fake => probed = new ProbedBackend(fake));
        host.Local.DefaultReply = _ => throw new BackendException(kind, $"failed: {kind}");
        host.Cloud!.DefaultReply = _ => "cloud";
        var localOnly = new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly);

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("cloud", (await host.Chat.GetResponseAsync(User("Summarize: the meeting moved."))).Text); // escalated
            host.Time.Advance(TimeSpan.FromSeconds(1));
        }

        var circuit = host.Chat.GetService<LaneCircuit>()!;
        Assert.Equal(CircuitState.Open, circuit.State);
        var cloudCalls = host.Cloud.Requests.Count;
        for (var i = 0; i < 3; i++)
        {
            await Assert.ThrowsAsync<LocalBackendUnavailableException>(() => host.Chat.GetResponseAsync(User("Summarize my record."), localOnly));
        }

        Assert.Equal(cloudCalls, host.Cloud.Requests.Count);
        Assert.Equal("cloud", (await host.Chat.GetResponseAsync(User("Summarize: the meeting moved."))).Text); // straight to the cloud

        host.Local.DefaultReply = _ => "local";
        host.Time.Advance(TimeSpan.FromSeconds(10));
        await host.Provider.GetRequiredService<IChatClient>().GetService<BackendPoolChatClient>()!.Monitor!.LastRound;
        Assert.NotNull(probed);
        Assert.Equal("local", (await host.Chat.GetResponseAsync(User("Summarize my record."), localOnly)).Text); // the trial
        Assert.Equal(CircuitState.Closed, circuit.State);
        Assert.Equal(cloudCalls + 1, host.Cloud.Requests.Count);
    }
}
