using HybridInference.CircuitBreaker;
using Microsoft.Extensions.DependencyInjection;
using Polly.CircuitBreaker;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.CircuitBreaker;

/// <summary>
/// A lane's breaker with an <see cref="ISharedCircuitState"/> in the services (the seam HybridInference.Redis fills;
/// a recording one here): its own openings and closings are published, another replica's are followed (isolated,
/// never published again), and a followed opening nobody ends closes after twice its break.
/// </summary>
public sealed class SharedCircuitStateSeamTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly RecordingState _shared = new();

    [Fact]
    public async Task OwnOpeningAndClosing_ArePublished()
    {
        var local = new FakeChatClient("local") { DefaultReply = _ => throw new BackendException(BackendErrorKind.Unavailable, "down") };
        var (chat, circuit) = Create(local);
        for (var i = 0; i < 5; i++)
        {
            await Assert.ThrowsAsync<BackendException>(() => chat.GetResponseAsync(User("x")));
        }

        Assert.Equal(CircuitState.Open, circuit.State);
        Assert.Equal(["opened Local 00:00:30"], _shared.Published);

        local.DefaultReply = _ => "ok";
        _time.Advance(TimeSpan.FromSeconds(30));
        await chat.GetResponseAsync(User("x"));

        Assert.Equal(CircuitState.Closed, circuit.State);
        Assert.Equal(["opened Local 00:00:30", "closed Local"], _shared.Published);
    }

    [Fact]
    public async Task AnotherReplicasOpening_IsolatesTheCircuit_UntilItsClosing_AndNothingIsPublished()
    {
        var local = new FakeChatClient("local") { DefaultReply = _ => "ok" };
        var (chat, circuit) = Create(local);

        _shared.Opened(TimeSpan.FromSeconds(30));

        await UntilAsync(() => circuit.State == CircuitState.Isolated);
        Assert.True(circuit.IsRejecting);
        await Assert.ThrowsAsync<IsolatedCircuitException>(() => chat.GetResponseAsync(User("x")));
        Assert.Empty(local.Requests);

        _shared.Closed();

        await UntilAsync(() => circuit.State == CircuitState.Closed);
        Assert.Equal("ok", (await chat.GetResponseAsync(User("x"))).Text);
        Assert.Empty(_shared.Published);
    }

    [Fact]
    public async Task AFollowedOpening_NobodyEnds_ClosesAfterTwiceItsBreak()
    {
        var (_, circuit) = Create(new FakeChatClient("local") { DefaultReply = _ => "ok" });

        _shared.Opened(TimeSpan.FromSeconds(30));
        await UntilAsync(() => circuit.State == CircuitState.Isolated);
        _time.Advance(TimeSpan.FromSeconds(59));
        Assert.Equal(CircuitState.Isolated, circuit.State);
        _time.Advance(TimeSpan.FromSeconds(1));

        await UntilAsync(() => circuit.State == CircuitState.Closed);
        Assert.Empty(_shared.Published);
    }

    /// <summary>A followed change is applied through Polly's manual control, which may complete after the call returns: waits for it, five seconds at most.</summary>
    private static async Task UntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 500 && !condition(); i++)
        {
            await Task.Delay(10);
        }

        Assert.True(condition());
    }

    private (IChatClient Chat, LaneCircuit Circuit) Create(FakeChatClient local)
    {
        var services = new ServiceCollection().AddSingleton<TimeProvider>(_time).AddSingleton<ISharedCircuitState>(_shared).BuildServiceProvider();
        var chat = new ChatClientBuilder(local).UseCircuitBreaker(new RoutingOptions { RecoveryRamp = TimeSpan.Zero }).Build(services);
        return (chat, chat.GetService<LaneCircuit>()!);
    }

    private sealed class RecordingState : ISharedCircuitState
    {
        private Action<TimeSpan>? _opened;
        private Action? _closed;

        public List<string> Published { get; } = [];

        public void Opened(TimeSpan breakDuration) => _opened!(breakDuration);

        public void Closed() => _closed!();

        public void PublishOpened(BackendLane lane, TimeSpan breakDuration) => Published.Add($"opened {lane} {breakDuration}");

        public void PublishClosed(BackendLane lane) => Published.Add($"closed {lane}");

        public IDisposable Subscribe(BackendLane lane, Action<TimeSpan> opened, Action closed)
        {
            (_opened, _closed) = (opened, closed);
            return new Unsubscribe();
        }

        private sealed class Unsubscribe : IDisposable
        {
            public void Dispose()
            {
            }
        }
    }
}
