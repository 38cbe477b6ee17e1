using HybridInference.Tokens;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.ML.Tokenizers;
using HybridInference.Testing;

namespace HybridInference.Tokenizers.Tests;

/// <summary>
/// The all-cloud baseline is priced on the cloud model's counts: for a local answer, the priced cloud model's
/// tokenizer count of the prompt and the answer (o200k_base for gpt-4o, through <c>AddTokenizers</c>), or the estimate
/// without tokenizers; for a cloud answer, the usage the provider reported. Never the local model's usage, which the
/// local backends here report as 9,000 in and 7,000 out so that a baseline priced on it cannot pass.
/// </summary>
public sealed class CloudBaselineTokensTests
{
    private const double InputPerMillion = 2.5;
    private const double OutputPerMillion = 10.0;
    private const string Answer = "The deadlock: two threads take locks A and B in opposite orders; 1,234,567 waits in 0.25 s. Fix: one order, always.";
    private static readonly Tokenizer O200k = TiktokenTokenizer.CreateForEncoding("o200k_base");

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task LocalAnswer_WithTokenizers_BaselineIsTheCloudModelsTokenizerCount(bool streaming)
    {
        using var chain = Chain.Build(tokenizers: true);
        chain.Local.Reply(Answer, inputTokens: 9000, outputTokens: 7000);
        var prompt = Prompt();

        var outcome = await chain.SendAsync(prompt, streaming, options: null);

        var exactPrompt = new TokenizerTokenCounter(O200k, "o200k_base").CountPromptTokens(prompt, null);
        Assert.Equal(BackendLane.Local, outcome.Target);
        Assert.Equal((exactPrompt, O200k.CountTokens(Answer), true), (outcome.CloudBaselineInputTokens, outcome.CloudBaselineOutputTokens, outcome.CloudBaselineTokensExact));
        Assert.NotEqual(new HeuristicTokenCounter().CountPromptTokens(prompt, null), exactPrompt); // the exact count is not the estimate here
        Assert.Equal(Price(exactPrompt, O200k.CountTokens(Answer)), outcome.CloudBaselineCostUsd, 12);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task LocalAnswer_WithoutTokenizers_BaselineIsTheEstimate_AndSaysSo(bool streaming)
    {
        using var chain = Chain.Build(tokenizers: false);
        chain.Local.Reply(Answer, inputTokens: 9000, outputTokens: 7000);
        var prompt = Prompt();

        var outcome = await chain.SendAsync(prompt, streaming, options: null);

        var estimate = new HeuristicTokenCounter().CountPromptTokens(prompt, null);
        var answer = HeuristicTokenCounter.CountText(Answer);
        Assert.Equal((estimate, answer, false), (outcome.CloudBaselineInputTokens, outcome.CloudBaselineOutputTokens, outcome.CloudBaselineTokensExact));
        Assert.Equal(Price(estimate, answer), outcome.CloudBaselineCostUsd, 12);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CloudAnswer_BaselineIsTheProvidersReportedUsage(bool streaming)
    {
        using var chain = Chain.Build(tokenizers: true);
        chain.Cloud.Reply(Answer, inputTokens: 1234, outputTokens: 567);

        var outcome = await chain.SendAsync(Prompt(), streaming, new ChatOptions().WithTaskCategory(TaskCategory.Complex));

        Assert.Equal(BackendLane.Cloud, outcome.Target);
        Assert.Equal((1234L, 567L, true), (outcome.CloudBaselineInputTokens, outcome.CloudBaselineOutputTokens, outcome.CloudBaselineTokensExact));
        Assert.Equal(Price(1234, 567), outcome.CloudBaselineCostUsd, 12);
        Assert.Equal(outcome.CostUsd, outcome.CloudBaselineCostUsd, 12);
    }

    [Fact]
    public async Task LocalAnswers_InAChat_TokenizeEachMessageOnce()
    {
        using var chain = Chain.Build(tokenizers: true);
        Assert.True(chain.Services.GetRequiredService<ITokenCounterProvider>().TryGetExactCounter("cloud", out var counter));
        var tokenized = (TokenizerTokenCounter)counter;
        var history = Prompt();
        chain.Local.Reply(Answer, inputTokens: 9000, outputTokens: 7000).Reply("Second answer.", inputTokens: 9000, outputTokens: 7000);
        await chain.SendAsync(history, streaming: false, options: null);
        history.Add(new ChatMessage(ChatRole.Assistant, Answer));
        history.Add(new ChatMessage(ChatRole.User, "And the fix in one line?"));
        var before = tokenized.TextsTokenized;

        var outcome = await chain.SendAsync(history, streaming: false, options: null);

        // The new user message and the new answer; the history (its answer too: the same string) comes from the cache.
        Assert.Equal(2, tokenized.TextsTokenized - before);
        Assert.Equal(new TokenizerTokenCounter(O200k, "o200k_base").CountPromptTokens(history, null), outcome.CloudBaselineInputTokens);
    }

    private static double Price(long input, long output) => ((input * InputPerMillion) + (output * OutputPerMillion)) / 1_000_000;

    private static List<ChatMessage> Prompt() =>
    [
        new(ChatRole.System, "You are a terse reviewer."),
        new(ChatRole.User, "Review: {\"ids\":[10293,48812,99120],\"lock\":\"A->B\"} and    the trace 0x7ffe 3.14159 26535 89793."),
    ];

    /// <summary>A chain with a local backend (no tokenizer) and gpt-4o in the cloud, priced, with or without <c>AddTokenizers</c>.</summary>
    private sealed class Chain : IDisposable
    {
        private Chain(ServiceProvider services, FakeChatClient local, FakeChatClient cloud)
        {
            Services = services;
            Local = local;
            Cloud = cloud;
            Client = services.GetRequiredService<IChatClient>();
        }

        public ServiceProvider Services { get; }

        public IChatClient Client { get; }

        public FakeChatClient Local { get; }

        public FakeChatClient Cloud { get; }

        public static Chain Build(bool tokenizers)
        {
            var local = new FakeChatClient("local-model");
            var cloud = new FakeChatClient("gpt-4o");
            var services = new ServiceCollection();
            var builder = services.AddHybridInference(o =>
            {
                o.Local.Backends.Add(new BackendOptions { Name = "local", Provider = "vllm", Model = "local-model" });
                o.Cloud.Backends.Add(new BackendOptions { Name = "cloud", Provider = "openai", Model = "gpt-4o" });
                o.Pricing["gpt-4o"] = new ModelPrice { InputPerMillionTokens = InputPerMillion, OutputPerMillionTokens = OutputPerMillion };
                o.Classification.UseBuiltInRules = false;
            })
                .AddLocalBackend("local", _ => local)
                .AddCloudBackend("cloud", _ => cloud);
            if (tokenizers)
            {
                builder.AddTokenizers();
            }

            return new Chain(services.BuildServiceProvider(), local, cloud);
        }

        public async Task<RouteOutcome> SendAsync(List<ChatMessage> prompt, bool streaming, ChatOptions? options)
        {
            if (!streaming)
            {
                return (await Client.GetResponseAsync(prompt, options)).GetRouteOutcome()!;
            }

            RouteOutcome? outcome = null;
            await foreach (var update in Client.GetStreamingResponseAsync(prompt, options))
            {
                outcome = update.GetRouteOutcome() ?? outcome;
            }

            return outcome!;
        }

        public void Dispose() => Services.Dispose();
    }
}
