using HybridInference.Pools;
using HybridInference.Tests.Chain;
using Microsoft.Extensions.Logging.Abstractions;
using static HybridInference.Tests.Chain.Requests;
using static HybridInference.Tests.Pools.ChannelChatClient;

namespace HybridInference.Tests.Pools;

/// <summary>
/// The time limits of a stream on the fake clock: time-to-first-token counts tokens, not chunks; a backend's Timeout
/// bounds its silence before the first token and between two, whatever content-free chunks keep the connection busy.
/// </summary>
public sealed class StreamTimeLimitTests
{
    private static readonly TimeSpan FirstTokenLimit = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan BackendTimeout = TimeSpan.FromSeconds(10);
    private readonly FakeTimeProvider _time = new();

    private static readonly string[] Kinds = ["role", "empty-text", "empty-contents", "usage", "empty-reasoning", "empty-text-list"];

    private BackendChatClient Backend(IChatClient client, string name, TimeSpan? timeout = null) =>
        TestBackends.Create(client, name, _time, timeout: timeout ?? BackendTimeout);

    private BackendPoolChatClient Pool(TimeSpan? timeToFirstToken, params BackendChatClient[] backends) =>
        new(BackendLane.Local, backends, LoadBalancingStrategy.Ordered, NullLogger.Instance, timeToFirstToken: timeToFirstToken);

    private static ChatResponseUpdate[] ContentFreeUpdates(string kind, int count) =>
        [.. Enumerable.Range(0, count).Select(i => ContentFree(kind == "mixed" ? Kinds[i % Kinds.Length] : kind))];

    /// <summary>Waits for <paramref name="task"/> (in real time, at most five seconds), so that a stream that never ends fails the test.</summary>
    private static Task<T> Within<T>(Task<T> task) => task.WaitAsync(TimeSpan.FromSeconds(5));

    [Theory]
    [InlineData("role", 10)]
    [InlineData("role", 64)]
    [InlineData("role", 65)]
    [InlineData("role", 1000)]
    [InlineData("empty-text", 65)]
    [InlineData("empty-text", 1000)]
    [InlineData("empty-contents", 65)]
    [InlineData("usage", 65)]
    [InlineData("empty-reasoning", 65)]
    [InlineData("empty-text-list", 65)]
    [InlineData("mixed", 64)]
    [InlineData("mixed", 65)]
    [InlineData("mixed", 1000)]
    public async Task TimeToFirstToken_ContentFreeChunksThenStall_TheNextBackendIsTriedAtTheLimit(string kind, int count)
    {
        var stalling = new ChannelChatClient("stalling").Stream(ContentFreeUpdates(kind, count));
        var live = new FakeChatClient("live") { DefaultReply = _ => "live" };
        var stallingBackend = Backend(stalling, "stalling");
        var pool = Pool(FirstTokenLimit, stallingBackend, Backend(live, "live"));

        var reading = ToListAsync(pool.GetStreamingResponseAsync(User("x")));
        await WaitUntilAsync(() => stalling.Calls == 1);
        _time.Advance(FirstTokenLimit - TimeSpan.FromMilliseconds(1));
        Assert.False(reading.IsCompleted);
        Assert.Empty(live.Requests);
        _time.Advance(TimeSpan.FromMilliseconds(1));

        var updates = await Within(reading);
        Assert.Equal("live", string.Concat(updates.Select(u => u.Text)));
        Assert.Equal(1, stalling.Cancellations);
        Assert.StartsWith("BackendException: Timeout", stallingBackend.State.Snapshot(stallingBackend.Info).LastError, StringComparison.Ordinal);
        Assert.Equal(0, stallingBackend.State.InFlight);
    }

    [Theory]
    [InlineData("role", 1000)]
    [InlineData("mixed", 1000)]
    [InlineData("usage", 3)]
    public async Task TimeToFirstToken_ContentFreeChunksThenAToken_AllArePassedOnInOrder(string kind, int count)
    {
        var backend = new ChannelChatClient("slow-start").Stream([.. ContentFreeUpdates(kind, count), Token("Hi"), new ChatResponseUpdate { FinishReason = ChatFinishReason.Stop }]);
        var pool = Pool(FirstTokenLimit, Backend(backend, "slow-start"));

        var reading = pool.GetStreamingResponseAsync(User("x")).GetAsyncEnumerator();
        var received = new List<ChatResponseUpdate>();
        for (var i = 0; i < count + 2; i++)
        {
            Assert.True(await reading.MoveNextAsync());
            received.Add(reading.Current);
        }

        Assert.Equal("Hi", string.Concat(received.Select(u => u.Text)));
        Assert.Equal(count + 2, received.Count);
        Assert.Equal("Hi", received[count].Text);
        await reading.DisposeAsync();
    }

    [Theory]
    [InlineData("reasoning")]
    [InlineData("text")]
    [InlineData("whitespace")]
    [InlineData("tool call")]
    public async Task TimeToFirstToken_AnyTokenStartsTheStream_ReasoningIncluded_NoFailoverAfterIt(string token)
    {
        ChatResponseUpdate first = token switch
        {
            "reasoning" => new ChatResponseUpdate { Contents = [new TextReasoningContent("Let me think")] },
            "text" => Token("Hel"),
            "whitespace" => Token("\n"),
            _ => new ChatResponseUpdate { Contents = [new FunctionCallContent("call-1", "lookup")] },
        };
        var thinking = new ChannelChatClient("thinking").Stream(ContentFree("role"), first);
        var other = new FakeChatClient("other") { DefaultReply = _ => "other" };
        var pool = Pool(FirstTokenLimit, Backend(thinking, "thinking"), Backend(other, "other"));

        var reading = pool.GetStreamingResponseAsync(User("x")).GetAsyncEnumerator();
        Assert.True(await reading.MoveNextAsync());
        Assert.True(await reading.MoveNextAsync());
        _time.Advance(FirstTokenLimit * 2);
        thinking.Write(Token(" done"));
        thinking.Complete();

        Assert.True(await reading.MoveNextAsync());
        Assert.Equal(" done", reading.Current.Text);
        Assert.False(await reading.MoveNextAsync());
        Assert.Empty(other.Requests);
        await reading.DisposeAsync();
    }

    [Theory]
    [InlineData("nothing")]
    [InlineData("role")]
    [InlineData("empty-text")]
    [InlineData("empty-contents")]
    [InlineData("usage")]
    [InlineData("empty-reasoning")]
    [InlineData("mixed")]
    public async Task Timeout_SilenceAfterTheFirstToken_EndsTheStreamWithATypedTimeout_ContentFreeChunksDoNotResetIt(string kind)
    {
        var loris = new ChannelChatClient("loris").Stream(Token("Hel"));
        var backend = Backend(loris, "loris");
        var reading = backend.GetStreamingResponseAsync(User("x")).GetAsyncEnumerator();
        Assert.True(await reading.MoveNextAsync());
        Assert.Equal("Hel", reading.Current.Text);

        // A content-free chunk every second: none of them is a token, so the silence keeps counting.
        var step = TimeSpan.FromSeconds(1);
        for (var i = 0; i < 9; i++)
        {
            var next = reading.MoveNextAsync().AsTask();
            _time.Advance(step);
            if (kind != "nothing")
            {
                loris.Write(ContentFree(kind == "mixed" ? Kinds[i % Kinds.Length] : kind));
                Assert.True(await Within(next));
            }
            else
            {
                Assert.False(next.IsCompleted);
                await AdvanceToTheEndAsync(next, BackendTimeout - step, reading);
                return;
            }
        }

        var last = reading.MoveNextAsync().AsTask();
        _time.Advance(step - TimeSpan.FromMilliseconds(1));
        Assert.False(last.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await AssertTimedOutAsync(last, reading);
    }

    private async Task AdvanceToTheEndAsync(Task<bool> next, TimeSpan left, IAsyncEnumerator<ChatResponseUpdate> reading)
    {
        _time.Advance(left - TimeSpan.FromMilliseconds(1));
        Assert.False(next.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await AssertTimedOutAsync(next, reading);
    }

    private static async Task AssertTimedOutAsync(Task<bool> next, IAsyncEnumerator<ChatResponseUpdate> reading)
    {
        var error = await Assert.ThrowsAsync<BackendException>(() => Within(next));
        Assert.Equal(BackendErrorKind.Timeout, error.Kind);
        Assert.Contains("Backend 'loris' sent no token for 10 s, the Timeout of backend 'loris' under HybridInference:Local:Backends", error.Message, StringComparison.Ordinal);
        await reading.DisposeAsync();
    }

    [Fact]
    public async Task Timeout_TokensKeepTheStreamAlive_HoweverLongItRuns()
    {
        var steady = new ChannelChatClient("steady").Stream();
        var backend = Backend(steady, "steady");
        var reading = backend.GetStreamingResponseAsync(User("x")).GetAsyncEnumerator();
        for (var i = 0; i < 10; i++)
        {
            var next = reading.MoveNextAsync().AsTask();
            _time.Advance(BackendTimeout - TimeSpan.FromSeconds(1));
            steady.Write(Token("t"));
            Assert.True(await Within(next));
        }

        steady.Complete();
        Assert.False(await Within(reading.MoveNextAsync().AsTask()));
        await reading.DisposeAsync();
    }

    [Fact]
    public async Task Timeout_TheTimeTheCallerHoldsAnUpdate_IsNotTheBackendsSilence()
    {
        var steady = new ChannelChatClient("steady").Stream(Token("a"), ContentFree("role"));
        var backend = Backend(steady, "steady");
        var reading = backend.GetStreamingResponseAsync(User("x")).GetAsyncEnumerator();
        Assert.True(await reading.MoveNextAsync());
        Assert.True(await reading.MoveNextAsync());

        // The caller takes its time with the update: that is not the backend being silent.
        _time.Advance(BackendTimeout * 3);
        var next = reading.MoveNextAsync().AsTask();
        steady.Write(Token("b"));

        Assert.True(await Within(next));
        Assert.Equal("b", reading.Current.Text);
        await reading.DisposeAsync();
    }

    [Theory]
    [InlineData(0)]
    [InlineData(65)]
    public async Task Timeout_SilenceBeforeTheFirstToken_WithoutTimeToFirstToken_FailsOverAtTheBackendsTimeout(int contentFreeChunks)
    {
        var silent = new ChannelChatClient("silent").Stream(ContentFreeUpdates("mixed", contentFreeChunks));
        var live = new FakeChatClient("live") { DefaultReply = _ => "live" };
        var silentBackend = Backend(silent, "silent");
        var pool = Pool(timeToFirstToken: null, silentBackend, Backend(live, "live"));

        var reading = ToListAsync(pool.GetStreamingResponseAsync(User("x")));
        await WaitUntilAsync(() => silent.Calls == 1);
        _time.Advance(BackendTimeout - TimeSpan.FromMilliseconds(1));
        Assert.False(reading.IsCompleted);
        _time.Advance(TimeSpan.FromMilliseconds(1));

        Assert.Equal("live", string.Concat((await Within(reading)).Select(u => u.Text)));
        Assert.StartsWith("BackendException: Timeout", silentBackend.State.Snapshot(silentBackend.Info).LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Timeout_ThroughTheChain_ConfiguredTimeout_SilenceAfterTheFirstToken_IsStreamInterruptedAroundTheTimeout()
    {
        var loris = new ChannelChatClient("loris").Stream(Token("Hel"));
        var cloud = new FakeChatClient("cloud") { DefaultReply = _ => "cloud" };
        var json = HybridHost.DefaultJson.Replace("\"ContextWindow\": 8192", "\"ContextWindow\": 8192, \"Timeout\": \"00:00:03\"", StringComparison.Ordinal);
        using var host = new ClientsHost(json, loris, cloud);
        var chat = host.Chat;

        var reading = chat.GetStreamingResponseAsync(User("Summarize: the meeting moved.")).GetAsyncEnumerator();
        Assert.True(await reading.MoveNextAsync());
        var next = reading.MoveNextAsync().AsTask();
        host.Time.Advance(TimeSpan.FromSeconds(3));

        var error = await Assert.ThrowsAsync<StreamInterruptedException>(() => Within(next));
        var timeout = Assert.IsType<BackendException>(error.InnerException);
        Assert.Equal(BackendErrorKind.Timeout, timeout.Kind);
        Assert.Contains("3 s", timeout.Message, StringComparison.Ordinal);
        Assert.True(error.GetRouteOutcome()!.OutputCommitted);
        Assert.Empty(cloud.Requests);
        await reading.DisposeAsync();
    }

    /// <summary>Waits (in real time, for at most five seconds) for work that runs on its own to arrive.</summary>
    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var waited = 0; !condition() && waited < 5_000; waited += 10)
        {
            await Task.Delay(10);
        }

        Assert.True(condition(), "The condition did not hold within five seconds.");
    }
}
