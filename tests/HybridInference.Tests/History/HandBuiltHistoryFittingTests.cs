namespace HybridInference.Tests.History;

/// <summary>History fitting in a chain built by hand with the public <c>Use...</c> methods: a plugged reducer, or the built-in summary with <c>configure</c>.</summary>
public sealed class HandBuiltHistoryFittingTests
{
    private static readonly RoutingOptions Routing = new() { DefaultOutputTokens = 128 };

    [Fact]
    public async Task UseHistoryFitting_WithAReducer_KeepsALongChatLocal()
    {
        var local = new FakeChatClient("local-model") { DefaultReply = _ => "answer" };
        var cloud = new FakeChatClient("cloud-model") { DefaultReply = _ => "cloud" };
#pragma warning disable MEAI001 // MessageCountingChatReducer is experimental.
        using var chat = Chain(local, cloud, b => b.UseHistoryFitting(reducer: new MessageCountingChatReducer(6), routing: Routing));
#pragma warning restore MEAI001

        var outcomes = await HistoryFittingTests.ChatAsync(chat, turns: 20);

        Assert.All(outcomes, o => Assert.Equal(BackendLane.Local, o.Target));
        Assert.Contains(outcomes, o => o.History is { Fitted: true, Mode: null, MessagesAfter: 7 });
        Assert.Empty(cloud.Requests);
    }

    [Fact]
    public async Task UseHistoryFitting_ConfiguredToSummarize_SummarizesWithTheGivenLocalModel()
    {
        var local = new FakeChatClient("local-model")
        {
            DefaultReply = r => r.Messages[0].Text.StartsWith("You condense", StringComparison.Ordinal) ? "summary" : "answer",
        };
        var cloud = new FakeChatClient("cloud-model") { DefaultReply = _ => "cloud" };
        using var chat = Chain(local, cloud, b => b.UseHistoryFitting(summarizer: Pool(local), routing: Routing, configure: o => o.Mode = HistoryMode.Summarize));

        var outcomes = await HistoryFittingTests.ChatAsync(chat, turns: 20);

        Assert.All(outcomes, o => Assert.Equal(BackendLane.Local, o.Target));
        Assert.Contains(outcomes, o => o.History is { Fitted: true, Mode: HistoryMode.Summarize, Summarized: true, SummaryCalls: > 0 });
        Assert.Contains(outcomes, o => o.History is { SummaryFromCache: true });
    }

    [Fact]
    public void UseHistoryFitting_SummarizeWithoutASummarizer_FailsNamingTheKey()
    {
        var local = new FakeChatClient("local-model");
        var error = Assert.Throws<ArgumentException>(() => Chain(local, new FakeChatClient("cloud"), b => b.UseHistoryFitting(new HistoryOptions { Mode = HistoryMode.Summarize })));

        Assert.Contains("HybridInference:Local:History:Mode is Summarize", error.Message, StringComparison.Ordinal);
    }

    private static IChatClient Pool(FakeChatClient local)
    {
        var options = new HybridInferenceOptions();
        return new BackendPoolBuilder(BackendLane.Local, options).AddBackend(new BackendOptions { Name = "summarizer", Model = "local-model", ContextWindow = 1024 }, local).Build();
    }

    private static IChatClient Chain(FakeChatClient local, FakeChatClient cloud, Action<ChatClientBuilder> history)
    {
        var options = new HybridInferenceOptions();
        IChatClient cloudLane = new ChatClientBuilder(new BackendPoolBuilder(BackendLane.Cloud, options).AddBackend(new BackendOptions { Name = "cloud", Model = "cloud-model" }, cloud).Build())
            .UseCircuitBreaker(options.Routing, BackendLane.Cloud)
            .Build();
        IChatClient localLane = new ChatClientBuilder(new BackendPoolBuilder(BackendLane.Local, options).AddBackend(new BackendOptions { Name = "local", Model = "local-model", ContextWindow = 1024 }, local).Build())
            .UseCircuitBreaker(options.Routing)
            .Build();
        var builder = new ChatClientBuilder(localLane)
            .UseCostMeter()
            .UseTaskClassifier(new ClassificationOptions { ComplexConversationMessages = 0 }, routing: Routing);
        history(builder);
        return builder.UseHybridRouter(cloudLane).Build();
    }
}
