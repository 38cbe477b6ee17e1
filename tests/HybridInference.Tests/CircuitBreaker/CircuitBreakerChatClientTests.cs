using Microsoft.Extensions.DependencyInjection;
using Polly.CircuitBreaker;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.CircuitBreaker;

/// <summary>The breaker alone over a fake backend, on a fake clock.</summary>
public sealed class CircuitBreakerChatClientTests
{
    private readonly FakeTimeProvider _time = new();

    private IChatClient Create(FakeChatClient local, RoutingOptions? options = null)
    {
        var services = new ServiceCollection().AddSingleton<TimeProvider>(_time).BuildServiceProvider();
        return new ChatClientBuilder(local).UseCircuitBreaker(options ?? new RoutingOptions { MinimumThroughput = 4 }).Build(services);
    }

    private static async Task Call(IChatClient chat, CancellationToken cancellationToken = default)
    {
        try
        {
            await chat.GetResponseAsync(User("x"), null, cancellationToken);
        }
        catch (Exception ex) when (ex is not BrokenCircuitException)
        {
        }
    }

    [Fact]
    public async Task FailuresPastThreshold_OpenTheCircuit_CallsFailFast()
    {
        var local = new FakeChatClient { DefaultReply = _ => throw new HttpRequestException("500") };
        var chat = Create(local);

        for (var i = 0; i < 4; i++)
        {
            await Call(chat);
        }

        Assert.Equal(CircuitState.Open, chat.GetService<CircuitBreakerStateProvider>()!.CircuitState);
        await Assert.ThrowsAsync<BrokenCircuitException>(() => chat.GetResponseAsync(User("x")));
        Assert.Equal(4, local.Requests.Count);
    }

    [Fact]
    public async Task HalfOpenTrialFails_CircuitOpensAgain()
    {
        var local = new FakeChatClient { DefaultReply = _ => throw new HttpRequestException("500") };
        var chat = Create(local);
        for (var i = 0; i < 4; i++)
        {
            await Call(chat);
        }

        _time.Advance(TimeSpan.FromSeconds(30));
        await Call(chat);

        Assert.Equal(CircuitState.Open, chat.GetService<CircuitBreakerStateProvider>()!.CircuitState);
        Assert.Equal(5, local.Requests.Count);
    }

    [Fact]
    public async Task ContextWindowRejections_DoNotCount()
    {
        var local = new FakeChatClient { DefaultReply = _ => throw new ContextWindowExceededException("too long") };
        var chat = Create(local);

        for (var i = 0; i < 10; i++)
        {
            await Call(chat);
        }

        Assert.Equal(CircuitState.Closed, chat.GetService<CircuitBreakerStateProvider>()!.CircuitState);
    }

    [Fact]
    public async Task CallerCancellations_DoNotCount()
    {
        var local = new FakeChatClient { DefaultReply = _ => "ok" };
        var chat = Create(local);
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        for (var i = 0; i < 10; i++)
        {
            await Call(chat, cts.Token);
        }

        Assert.Equal(CircuitState.Closed, chat.GetService<CircuitBreakerStateProvider>()!.CircuitState);
    }

    [Fact]
    public async Task StreamsFailingMidway_Count()
    {
        var local = new FakeChatClient();
        for (var i = 0; i < 4; i++)
        {
            local.ThrowMidStream(new IOException("reset"), "partial");
        }

        var chat = Create(local);
        for (var i = 0; i < 4; i++)
        {
            await Assert.ThrowsAsync<IOException>(async () =>
            {
                await foreach (var _ in chat.GetStreamingResponseAsync(User("x")))
                {
                }
            });
        }

        Assert.Equal(CircuitState.Open, chat.GetService<CircuitBreakerStateProvider>()!.CircuitState);
    }

    [Fact]
    public async Task SuccessfulStreams_PassThroughUnchanged()
    {
        var local = new FakeChatClient().ReplyInChunks("a", "b", "c");
        var chat = Create(local);

        var text = "";
        await foreach (var update in chat.GetStreamingResponseAsync(User("x")))
        {
            text += update.Text;
        }

        Assert.Equal("abc", text);
        Assert.Equal(CircuitState.Closed, chat.GetService<CircuitBreakerStateProvider>()!.CircuitState);
    }

    [Fact]
    public async Task OldFailuresLeaveTheWindow()
    {
        var local = new FakeChatClient { DefaultReply = _ => throw new HttpRequestException("500") };
        var chat = Create(local, new RoutingOptions { MinimumThroughput = 4, SamplingWindow = TimeSpan.FromSeconds(10) });
        for (var i = 0; i < 3; i++)
        {
            await Call(chat);
        }

        _time.Advance(TimeSpan.FromSeconds(11));
        local.DefaultReply = _ => "ok";
        for (var i = 0; i < 4; i++)
        {
            await Call(chat);
        }

        Assert.Equal(CircuitState.Closed, chat.GetService<CircuitBreakerStateProvider>()!.CircuitState);
    }
}
