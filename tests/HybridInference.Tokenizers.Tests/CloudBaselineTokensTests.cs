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
    [InlineData(true, false)]
    [InlineData(true, true)]
    [InlineData(false, false)]
    [InlineData(false, true)]
    public async Task LocalAnswer_BaselineIsTheCloudModelsTokenizerCount_OrWithoutTokenizersTheEstimate(bool tokenizers, bool streaming)
    {
        var (services, local, _) = Build(tokenizers);
        using var disposeAtEnd = services;
        local.Reply(Answer, inputTokens: 9000, outputTokens: 7000);
        var prompt = Prompt();

        var outcome = await SendAsync(services, prompt, streaming, options: null);

        var estimate = new HeuristicTokenCounter().CountPromptTokens(prompt, null);
        var exactPrompt = new TokenizerTokenCounter(O200k, "o200k_base").CountPromptTokens(prompt, null);
        Assert.NotEqual(estimate, exactPrompt); // the prompt tells the two apart
        var expected = tokenizers
            ? (exactPrompt, O200k.CountTokens(Answer), true)
            : (estimate, HeuristicTokenCounter.CountText(Answer), false);
        Assert.Equal(BackendLane.Local, outcome.Target);
        Assert.Equal(expected, ((int)outcome.CloudBaselineInputTokens, (int)outcome.CloudBaselineOutputTokens, outcome.CloudBaselineTokensExact));
        Assert.Equal(Price(expected.Item1, expected.Item2), outcome.CloudBaselineCostUsd, 12);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CloudAnswer_BaselineIsTheProvidersReportedUsage(bool streaming)
    {
        var (services, _, cloud) = Build(tokenizers: true);
        using var disposeAtEnd = services;
        cloud.Reply(Answer, inputTokens: 1234, outputTokens: 567);

        var outcome = await SendAsync(services, Prompt(), streaming, new ChatOptions().WithTaskCategory(TaskCategory.Complex));

        Assert.Equal(BackendLane.Cloud, outcome.Target);
        Assert.Equal((1234L, 567L, true), (outcome.CloudBaselineInputTokens, outcome.CloudBaselineOutputTokens, outcome.CloudBaselineTokensExact));
        Assert.Equal(Price(1234, 567), outcome.CloudBaselineCostUsd, 12);
        Assert.Equal(outcome.CostUsd, outcome.CloudBaselineCostUsd, 12);
    }

    [Fact]
    public async Task LocalAnswers_InAChat_TokenizeEachMessageOnce()
    {
        var (services, local, _) = Build(tokenizers: true);
        using var disposeAtEnd = services;
        Assert.True(services.GetRequiredService<ITokenCounterProvider>().TryGetExactCounter("cloud", out var counter));
        var tokenized = (TokenizerTokenCounter)counter;
        var history = Prompt();
        local.Reply(Answer, inputTokens: 9000, outputTokens: 7000).Reply("Second answer.", inputTokens: 9000, outputTokens: 7000);
        await SendAsync(services, history, streaming: false, options: null);
        history.Add(new ChatMessage(ChatRole.Assistant, Answer));
        history.Add(new ChatMessage(ChatRole.User, "And the fix in one line?"));
        var before = tokenized.TextsTokenized;

        var outcome = await SendAsync(services, history, streaming: false, options: null);

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
    private static (ServiceProvider Services, FakeChatClient Local, FakeChatClient Cloud) Build(bool tokenizers)
    {
        var local = new FakeChatClient("local-model");
        var cloud = new FakeChatClient("gpt-4o");
        var builder = new ServiceCollection().AddHybridInference(o =>
        {
            o.Local.Backends.Add(new BackendOptions { Name = "local", Provider = "vllm", Model = "local-model" });
            o.Cloud.Backends.Add(new BackendOptions { Name = "cloud", Provider = "openai", Model = "gpt-4o" });
            o.Pricing["gpt-4o"] = new ModelPrice { InputPerMillionTokens = InputPerMillion, OutputPerMillionTokens = OutputPerMillion };
            o.Classification.UseBuiltInRules = false;
        });
        builder.AddLocalBackend("local", _ => local).AddCloudBackend("cloud", _ => cloud);
        if (tokenizers)
        {
            builder.AddTokenizers();
        }

        return (builder.Services.BuildServiceProvider(), local, cloud);
    }

    /// <summary>Sends the prompt, plain or streamed, and returns the outcome (a stream's rides on its last update).</summary>
    private static async Task<RouteOutcome> SendAsync(ServiceProvider services, List<ChatMessage> prompt, bool streaming, ChatOptions? options)
    {
        var client = services.GetRequiredService<IChatClient>();
        if (!streaming)
        {
            return (await client.GetResponseAsync(prompt, options)).GetRouteOutcome()!;
        }

        RouteOutcome? outcome = null;
        await foreach (var update in client.GetStreamingResponseAsync(prompt, options))
        {
            outcome = update.GetRouteOutcome() ?? outcome;
        }

        return outcome!;
    }
}
