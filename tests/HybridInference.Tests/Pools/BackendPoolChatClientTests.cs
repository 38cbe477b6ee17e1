using HybridInference.Internal;
using HybridInference.Pools;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.Pools;

public sealed class BackendPoolChatClientTests
{
    private static BackendChatClient Backend(FakeChatClient client, BackendLane lane = BackendLane.Local, int? window = null) =>
        TestBackends.Create(client, client.Name, TimeProvider.System, lane, window);

    private static BackendPoolChatClient Pool(params BackendChatClient[] backends) => new(BackendLane.Local, backends, LoadBalancingStrategy.Ordered, NullLogger.Instance);

    private static ChatOptions WithProfile(int promptTokens, DataPolicy policy = DataPolicy.Any) =>
        new HybridChatOptions(null, new RequestState { Profile = new TaskProfile(TaskCategory.Routine, CategorySource.Default, promptTokens, null, false, policy) });

    [Fact]
    public async Task FirstBackendFails_NextOneAnswers()
    {
        var first = new FakeChatClient("a").Throw(new HttpRequestException("refused"));
        var second = new FakeChatClient("b").Reply("from b");

        var response = await Pool(Backend(first), Backend(second)).GetResponseAsync(User("x"));

        Assert.Equal("from b", response.Text);
    }

    [Fact]
    public async Task EveryBackendFails_TheLastErrorReachesTheCaller()
    {
        var first = new FakeChatClient("a").Throw(new HttpRequestException("a down"));
        var second = new FakeChatClient("b").Throw(new TimeoutException("b slow"));

        await Assert.ThrowsAsync<TimeoutException>(() => Pool(Backend(first), Backend(second)).GetResponseAsync(User("x")));
    }

    [Fact]
    public async Task Streaming_FailsOverBeforeTheFirstUpdate_NeverAfter()
    {
        var first = new FakeChatClient("a").Throw(new HttpRequestException("refused")).ThrowMidStream(new IOException("reset"), "par");
        var second = new FakeChatClient("b").ReplyInChunks("b1", "b2").Reply("unused");
        var pool = Pool(Backend(first), Backend(second));

        var texts = new List<string>();
        await foreach (var update in pool.GetStreamingResponseAsync(User("x")))
        {
            texts.Add(update.Text);
        }

        Assert.Equal(["b1", "b2", ""], texts);

        var committed = new List<string>();
        await Assert.ThrowsAsync<IOException>(async () =>
        {
            await foreach (var update in pool.GetStreamingResponseAsync(User("x")))
            {
                committed.Add(update.Text);
            }
        });
        Assert.Equal(["par"], committed);
        Assert.Single(second.Requests);
    }

    [Fact]
    public async Task BackendWhoseWindowIsTooSmall_IsSkipped()
    {
        var small = new FakeChatClient("small");
        var large = new FakeChatClient("large").Reply("large");

        var response = await Pool(Backend(small, window: 2048), Backend(large, window: 32768)).GetResponseAsync(User("x"), WithProfile(5000));

        Assert.Equal("large", response.Text);
        Assert.Empty(small.Requests);
    }

    [Fact]
    public async Task NoBackendWindowFits_ContextWindowExceededNamingTheSizes()
    {
        var small = new FakeChatClient("small");

        var error = await Assert.ThrowsAsync<ContextWindowExceededException>(() => Pool(Backend(small, window: 2048)).GetResponseAsync(User("x"), WithProfile(5000)));

        Assert.Contains("5000", error.Message);
        Assert.Contains("2048", error.Message);
        Assert.Empty(small.Requests);
    }

    [Fact]
    public async Task CloudBackend_RefusesLocalOnlyRequests_BeforeSendingAnything()
    {
        var cloud = new FakeChatClient("cloud").Reply("never");
        var backend = Backend(cloud, BackendLane.Cloud);

        await Assert.ThrowsAsync<LocalBackendUnavailableException>(() => backend.GetResponseAsync(User("x"), WithProfile(10, DataPolicy.LocalOnly)));
        await Assert.ThrowsAsync<LocalBackendUnavailableException>(() => backend.GetResponseAsync(User("x"), new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly)));

        Assert.Empty(cloud.Requests);
    }

    [Fact]
    public async Task Backend_CountsAttemptsAndUsageOnTheRequest()
    {
        var local = new FakeChatClient("m").Reply("a", inputTokens: 7, outputTokens: 3).Reply("b", inputTokens: 5, outputTokens: 2);
        var backend = Backend(local);
        var options = WithProfile(10);

        await backend.GetResponseAsync(User("x"), options);
        await backend.GetResponseAsync(User("x"), options);

        var totals = RequestState.Find(options)!.Attempts.Fold(winner: null);
        Assert.Equal((2, 12L, 5L, "m"), (totals.Attempts, totals.InputTokens, totals.OutputTokens, totals.Answered!.Value.Backend.Name));
    }
}
