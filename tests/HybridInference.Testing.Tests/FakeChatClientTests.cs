namespace HybridInference.Testing.Tests;

public sealed class FakeChatClientTests
{
    private static readonly ChatMessage[] Hello = [new(ChatRole.User, "Hello")];

    [Fact]
    public async Task Reply_AnswersInOrderWithUsage()
    {
        var fake = new FakeChatClient("m").Reply("one", inputTokens: 3, outputTokens: 4).Reply("two");

        var first = await fake.GetResponseAsync(Hello);
        var second = await fake.GetResponseAsync(Hello);

        Assert.Equal(("one", 3L, 4L), (first.Text, first.Usage!.InputTokenCount!.Value, first.Usage.OutputTokenCount!.Value));
        Assert.Equal("two", second.Text);
        Assert.Equal("m", first.ModelId);
        Assert.Equal(0, fake.Remaining);
    }

    [Fact]
    public async Task EmptyScript_WithoutDefault_FailsLoudly()
    {
        var fake = new FakeChatClient("m");

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => fake.GetResponseAsync(Hello));

        Assert.Contains("script is empty", error.Message);
    }

    [Fact]
    public async Task DefaultReply_SeesTheRequest()
    {
        var fake = new FakeChatClient { DefaultReply = r => "echo: " + r.LastUserText };

        Assert.Equal("echo: Hello", (await fake.GetResponseAsync(Hello)).Text);
    }

    [Fact]
    public async Task Requests_AreRecordedWithOptionsAndMode()
    {
        var fake = new FakeChatClient { DefaultReply = _ => "x" };
        var options = new ChatOptions { Temperature = 0.5f };

        await fake.GetResponseAsync(Hello, options);
        await foreach (var _ in fake.GetStreamingResponseAsync(Hello))
        {
        }

        Assert.Equal(2, fake.Requests.Count);
        Assert.Same(options, fake.Requests[0].Options);
        Assert.False(fake.Requests[0].Streaming);
        Assert.True(fake.Requests[1].Streaming);
        Assert.Equal("Hello", fake.Requests[1].LastUserText);
    }

    [Theory]
    [InlineData(0, 5)]
    [InlineData(1, 5)]
    [InlineData(3, 5)]
    [InlineData(5, 5)]
    [InlineData(10, 5)]
    public async Task MaxRecordedRequests_KeepsOnlyTheMostRecent_AndCountsEvery(int max, int sent)
    {
        var fake = new FakeChatClient { DefaultReply = _ => "x", MaxRecordedRequests = max };

        for (var i = 0; i < sent; i++)
        {
            await fake.GetResponseAsync([new ChatMessage(ChatRole.User, $"request {i}")]);
        }

        var kept = Math.Min(max, sent);
        Assert.Equal(kept, fake.Requests.Count);
        Assert.Equal(sent, fake.RequestCount);
        for (var i = 0; i < kept; i++)
        {
            Assert.Equal($"request {sent - kept + i}", fake.Requests[i].LastUserText);
        }
    }

    [Fact]
    public async Task MaxRecordedRequests_Lowered_TrimsWhatIsAlreadyRecorded()
    {
        var fake = new FakeChatClient { DefaultReply = r => r.LastUserText };
        await fake.GetResponseAsync([new ChatMessage(ChatRole.User, "a")]);
        await fake.GetResponseAsync([new ChatMessage(ChatRole.User, "b")]);
        await fake.GetResponseAsync([new ChatMessage(ChatRole.User, "c")]);

        fake.MaxRecordedRequests = 1;

        Assert.Equal("c", Assert.Single(fake.Requests).LastUserText);
        Assert.Equal(3, fake.RequestCount);
    }

    [Fact]
    public void MaxRecordedRequests_Negative_IsRefused()
    {
        var fake = new FakeChatClient();

        var error = Assert.Throws<ArgumentOutOfRangeException>(() => fake.MaxRecordedRequests = -1);

        Assert.Contains("MaxRecordedRequests", error.Message);
    }

    [Fact]
    public async Task ClearRequests_ForgetsTheRecordAndTheCount_KeepsTheScript()
    {
        var fake = new FakeChatClient().Reply("one").Reply("two");
        await fake.GetResponseAsync(Hello);

        fake.ClearRequests();

        Assert.Empty(fake.Requests);
        Assert.Equal(0, fake.RequestCount);
        Assert.Equal("two", (await fake.GetResponseAsync(Hello)).Text);
        Assert.Single(fake.Requests);
    }

    [Fact]
    public async Task EmptyScript_ErrorNumbersTheRequest_EvenWhenNotRecorded()
    {
        var fake = new FakeChatClient("m") { MaxRecordedRequests = 0 }.Reply("one");
        await fake.GetResponseAsync(Hello);

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => fake.GetResponseAsync(Hello));

        Assert.Contains("request number 2", error.Message);
    }

    [Fact]
    public async Task ReplyInChunks_StreamsChunksThenUsage()
    {
        var fake = new FakeChatClient().ReplyInChunks("a", "b");

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in fake.GetStreamingResponseAsync(Hello))
        {
            updates.Add(update);
        }

        Assert.Equal(["a", "b", ""], updates.Select(u => u.Text));
        Assert.IsType<UsageContent>(Assert.Single(updates[^1].Contents));
        Assert.Equal(ChatFinishReason.Stop, updates[^1].FinishReason);
        Assert.Equal("ab", updates.ToChatResponse().Text);
    }

    [Fact]
    public async Task Throw_BeforeOutput_BothModes()
    {
        var fake = new FakeChatClient().Throw(new TimeoutException("slow")).Throw(new TimeoutException("slow"));

        await Assert.ThrowsAsync<TimeoutException>(() => fake.GetResponseAsync(Hello));
        await Assert.ThrowsAsync<TimeoutException>(async () =>
        {
            await foreach (var _ in fake.GetStreamingResponseAsync(Hello))
            {
                Assert.Fail("no update expected");
            }
        });
    }

    [Fact]
    public async Task ThrowMidStream_YieldsTheChunksFirst()
    {
        var fake = new FakeChatClient().ThrowMidStream(new IOException("reset"), "par", "tial");

        var seen = new List<string>();
        await Assert.ThrowsAsync<IOException>(async () =>
        {
            await foreach (var update in fake.GetStreamingResponseAsync(Hello))
            {
                seen.Add(update.Text);
            }
        });

        Assert.Equal(["par", "tial"], seen);
    }

    [Fact]
    public async Task Delay_WaitsOnTheGivenClock()
    {
        var time = new FakeTimeProvider();
        var fake = new FakeChatClient { TimeProvider = time }.Reply("late", delay: TimeSpan.FromSeconds(5));

        var pending = fake.GetResponseAsync(Hello);
        Assert.False(pending.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal("late", (await pending).Text);
    }

    [Fact]
    public async Task Cancellation_IsObserved()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();
        var fake = new FakeChatClient().Reply("x");

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => fake.GetResponseAsync(Hello, null, cts.Token));
    }

    [Fact]
    public void Metadata_ReportsTheName()
    {
        var fake = new FakeChatClient("vllm-test");

        var metadata = fake.GetService<ChatClientMetadata>()!;

        Assert.Equal(("vllm-test", "vllm-test"), (metadata.ProviderName, metadata.DefaultModelId));
    }
}
