using HybridInference.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.ML.Tokenizers;

namespace HybridInference.Tokenizers.Tests;

/// <summary>
/// A chain built by hand with the public <c>Use...</c> methods counts near-limit prompts exactly, as the chain
/// <c>AddHybridInference</c> builds does: <c>UseTaskClassifier(..., routing, TokenizerCounters.Create(options))</c>.
/// On the corpus (each text x1, x3, x9, x27), every outcome's route, reason, prompt count and exactness are the DI
/// chain's, and the route is the one the exact count gives.
/// </summary>
public sealed class HandBuiltChainExactCountTests
{
    private static readonly TokenizerTokenCounter Exact = new(TiktokenTokenizer.CreateForEncoding("o200k_base"), "o200k_base");

    [Theory]
    [InlineData(1024)]
    [InlineData(4096)]
    public async Task HandBuiltChain_NearTheLimit_RoutesOnTheExactCountAsTheDIChainDoes(int window)
    {
        var reserve = window / 8;
        var options = Options(window, reserve);
        using var di = BuildWithDI(window, reserve);
        using var handBuilt = BuildByHand(options);
        var diChat = di.GetRequiredService<IChatClient>();
        var different = new List<string>();
        int exact = 0, estimateAloneWouldDiffer = 0;
        foreach (var (name, times, prompt) in Corpus.Prompts())
        {
            var fromDI = (await diChat.GetResponseAsync(prompt)).GetRouteOutcome()!;
            var byHand = (await handBuilt.GetResponseAsync(prompt)).GetRouteOutcome()!;

            var fits = Exact.CountPromptTokens(prompt, null) + reserve <= window;
            if ((byHand.Target, byHand.DecisionReason, byHand.EstimatedPromptTokens, byHand.PromptTokensExact)
                != (fromDI.Target, fromDI.DecisionReason, fromDI.EstimatedPromptTokens, fromDI.PromptTokensExact)
                || byHand.Target != (fits ? BackendLane.Local : BackendLane.Cloud))
            {
                different.Add($"{name} x{times}: by hand {byHand.Target} {byHand.DecisionReason} {byHand.EstimatedPromptTokens} exact={byHand.PromptTokensExact}; " +
                    $"DI {fromDI.Target} {fromDI.DecisionReason} {fromDI.EstimatedPromptTokens} exact={fromDI.PromptTokensExact}; fits by the exact count: {fits}");
            }

            exact += byHand.PromptTokensExact ? 1 : 0;
            var estimateFits = new Tokens.HeuristicTokenCounter().CountPromptTokens(prompt, null) + reserve <= window;
            estimateAloneWouldDiffer += estimateFits != fits ? 1 : 0;
        }

        Assert.True(different.Count == 0, string.Join(Environment.NewLine, different));
        Assert.True(exact > 0, "no prompt was near the limit");
        Assert.True(estimateAloneWouldDiffer > 0, "the estimate alone routes every prompt as the exact count does: the corpus does not tell the chains apart here");
    }

    private static HybridInferenceOptions Options(int window, int reserve)
    {
        var options = new HybridInferenceOptions();
        options.Local.Backends.Add(new BackendOptions { Name = "local", Provider = "vllm", Tokenizer = "o200k_base", ContextWindow = window });
        options.Cloud.Backends.Add(new BackendOptions { Name = "cloud", Provider = "openai", Model = "gpt-4o" });
        options.Routing.DefaultOutputTokens = reserve;
        options.Classification.UseBuiltInRules = false; // decided on size alone
        options.Classification.ComplexConversationMessages = 0;
        return options;
    }

    private static ServiceProvider BuildWithDI(int window, int reserve)
    {
        var services = new ServiceCollection();
        var options = Options(window, reserve);
        services.AddHybridInference(o =>
        {
            o.Local.Backends.Add(options.Local.Backends[0]);
            o.Cloud.Backends.Add(options.Cloud.Backends[0]);
            o.Routing.DefaultOutputTokens = options.Routing.DefaultOutputTokens;
            o.Classification.UseBuiltInRules = options.Classification.UseBuiltInRules;
            o.Classification.ComplexConversationMessages = options.Classification.ComplexConversationMessages;
        })
            .AddTokenizers()
            .AddLocalBackend("local", _ => Backend("local"))
            .AddCloudBackend("cloud", _ => Backend("cloud"));
        return services.BuildServiceProvider();
    }

    /// <summary>The README's hand-built chain, with the classifier given the routing settings and the counters.</summary>
    private static IChatClient BuildByHand(HybridInferenceOptions options)
    {
        var tokenCounters = TokenizerCounters.Create(options);
        IChatClient cloudLane = new ChatClientBuilder(new BackendPoolBuilder(BackendLane.Cloud, options).AddBackend(options.Cloud.Backends[0], Backend("cloud")).Build())
            .UsePiiRedaction()
            .UseCloudBudget(options.Cloud)
            .UseCircuitBreaker(options.Routing, BackendLane.Cloud)
            .UseJsonValidation(BackendLane.Cloud)
            .Build();
        IChatClient localLane = new ChatClientBuilder(new BackendPoolBuilder(BackendLane.Local, options).AddBackend(options.Local.Backends[0], Backend("local")).Build())
            .UseSchemaValidatingFallback(cloudLane)
            .UseCircuitBreaker(options.Routing)
            .UseJsonValidation()
            .Build();
        return new ChatClientBuilder(localLane)
            .UseCostMeter()
            .UseTaskClassifier(options.Classification, routing: options.Routing, tokenCounters: tokenCounters)
            .UseHybridRouter(cloudLane)
            .Build();
    }

    private static FakeChatClient Backend(string name) => new(name) { DefaultReply = _ => name, MaxRecordedRequests = 1 };
}
