using System.Diagnostics.CodeAnalysis;
using HybridInference.Testing;
using HybridInference.Tokens;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.ML.Tokenizers;

namespace HybridInference.Tokenizers.Tests;

/// <summary>
/// Routing on the exact count near a limit, through <c>AddHybridInference</c> and <c>AddTokenizers</c> with a local
/// backend whose <c>Tokenizer</c> is <c>o200k_base</c> or Llama's SentencePiece model (<see cref="TinyTokenizer"/>):
/// on the corpus (each text x1, x3, x9, x27) and limits from 512 to 32,768, every decision is the one the exact count
/// gives; a local-only prompt that fits by the exact count runs, one that does not never reaches a backend; far from
/// every limit the exact counter is not called.
/// </summary>
public sealed class ExactCountRoutingTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private const string SentencePiece = "Llama SentencePiece";

    private static readonly Lazy<TokenizerTokenCounter> O200k = new(() => new(TiktokenTokenizer.CreateForEncoding("o200k_base"), "o200k_base"));

    private static readonly Lazy<TokenizerTokenCounter> Llama = new(() => new(TokenizerLoader.Load(TinyTokenizer.Path).Tokenizer, SentencePiece));

    public static TheoryData<string, int> Limits()
    {
        var data = new TheoryData<string, int>();
        foreach (var tokenizer in new[] { "o200k_base", SentencePiece })
        {
            foreach (var limit in new[] { 512, 1024, 2048, 4096, 8192, 16384, 32768 })
            {
                data.Add(tokenizer, limit);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Limits))]
    public async Task Route_OnTheCorpus_IsTheDecisionOfTheExactCount(string tokenizer, int limit)
    {
        var reserve = limit / 8;
        var exact = Exact(tokenizer);
        using var chain = Chain.Build(tokenizer, limit, reserve, localContextLimit: true);
        var wrong = new List<string>();
        int exactDecisions = 0, estimateWouldDiffer = 0, prompts = 0;
        foreach (var (name, times, prompt) in Corpus.Prompts())
        {
            var required = exact.CountPromptTokens(prompt, null) + reserve;
            prompts++;
            estimateWouldDiffer += (chain.Estimate(prompt) + reserve <= limit) != (required <= limit) ? 1 : 0;
            var outcome = (await chain.Client.GetResponseAsync(prompt)).GetRouteOutcome()!;

            var expected = required <= limit ? BackendLane.Local : BackendLane.Cloud;
            if (outcome.Target != expected || (expected == BackendLane.Cloud && outcome.DecisionReason != RouteReason.ContextLimit))
            {
                wrong.Add($"{name} x{times}: exact {required - reserve} + {reserve} output, limit {limit}: routed {outcome.Target} ({outcome.DecisionReason}), estimate {chain.Estimate(prompt)}");
            }

            exactDecisions += outcome.PromptTokensExact ? 1 : 0;
        }

        output.WriteLine($"{tokenizer}, limit {limit}, reserve {reserve}: {prompts} prompts, {exactDecisions} decided on the exact count; the estimate alone would route {estimateWouldDiffer} differently");
        Assert.True(wrong.Count == 0, string.Join(Environment.NewLine, wrong));
        Assert.True(exactDecisions > 0, "no prompt was near the limit: the corpus does not test the exact count here");
    }

    [Theory]
    [MemberData(nameof(Limits))]
    public async Task LocalOnly_OnTheCorpus_RunsWhatFitsByTheExactCount_AndSendsNothingElse(string tokenizer, int limit)
    {
        var reserve = limit / 8;
        var exact = Exact(tokenizer);
        using var chain = Chain.Build(tokenizer, limit, reserve, localContextLimit: false);
        var wrong = new List<string>();
        int ran = 0, refused = 0;
        foreach (var (name, times, prompt) in Corpus.Prompts())
        {
            var required = exact.CountPromptTokens(prompt, null) + reserve;
            var sentBefore = chain.Local.RequestCount;
            try
            {
                var outcome = (await chain.Client.GetResponseAsync(prompt, new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly))).GetRouteOutcome()!;
                ran++;
                if (required > limit || outcome.Target != BackendLane.Local)
                {
                    wrong.Add($"{name} x{times}: needs {required} of {limit}, ran on {outcome.Backend}");
                }
            }
            catch (ContextWindowExceededException ex)
            {
                refused++;
                if (required <= limit || chain.Local.RequestCount != sentBefore)
                {
                    wrong.Add($"{name} x{times}: needs {required} of {limit}, refused as {ex.RequiredTokens} ({chain.Local.RequestCount - sentBefore} sent)");
                }
            }
        }

        Assert.True(wrong.Count == 0, string.Join(Environment.NewLine, wrong));
        Assert.Equal(0, chain.Cloud.RequestCount);
        Assert.True(ran > 0 && refused > 0, $"ran {ran}, refused {refused}: the limit does not split the corpus");
    }

    [Theory]
    [MemberData(nameof(Limits))]
    public async Task ExactCounter_IsCalledOnlyNearALimit_OncePerRequest(string tokenizer, int limit)
    {
        var reserve = limit / 8;
        using var chain = Chain.Build(tokenizer, limit, reserve, localContextLimit: true);
        var wrong = new List<string>();
        int near = 0, far = 0;
        foreach (var (name, times, prompt) in Corpus.Prompts())
        {
            var estimate = chain.Estimate(prompt);
            var isNear = !TokenEstimateBand.SurelyFits(estimate, limit - reserve) && !TokenEstimateBand.SurelyExceeds(estimate, limit - reserve);
            var callsBefore = chain.ExactCalls;

            var outcome = (await chain.Client.GetResponseAsync(prompt)).GetRouteOutcome()!;

            var calls = chain.ExactCalls - callsBefore;
            if (calls != (isNear ? 1 : 0) || outcome.PromptTokensExact != isNear)
            {
                wrong.Add($"{name} x{times}: estimate {estimate}, room {limit - reserve}: {calls} exact count(s), PromptTokensExact {outcome.PromptTokensExact}");
            }

            (isNear ? ref near : ref far)++;
        }

        Assert.True(wrong.Count == 0, string.Join(Environment.NewLine, wrong));
        Assert.True(near > 0 && far > 0, $"near {near}, far {far}");
    }

    /// <summary>The exact counter a test expects the decisions of: the same tokenizer as the chain's local backend.</summary>
    private static TokenizerTokenCounter Exact(string tokenizer) => tokenizer == SentencePiece ? Llama.Value : O200k.Value;

    /// <summary>A chain whose local backend counts with the tokenizer (o200k_base, or the SentencePiece model's path), its window the limit, with a fake cloud and the exact calls counted.</summary>
    private sealed class Chain : IDisposable
    {
        private readonly ServiceProvider _provider;
        private readonly ITokenCounter _estimate;
        private readonly CountingProvider _counters;

        private Chain(ServiceProvider provider, FakeChatClient local, FakeChatClient cloud)
        {
            _provider = provider;
            Local = local;
            Cloud = cloud;
            Client = provider.GetRequiredService<IChatClient>();
            _estimate = provider.GetRequiredService<ITokenCounter>();
            _counters = (CountingProvider)provider.GetRequiredService<ITokenCounterProvider>();
        }

        public IChatClient Client { get; }

        public FakeChatClient Local { get; }

        public FakeChatClient Cloud { get; }

        public int ExactCalls => _counters.Calls;

        public static Chain Build(string tokenizer, int window, int reserve, bool localContextLimit)
        {
            var value = tokenizer == SentencePiece ? TinyTokenizer.Path : tokenizer;
            var local = new FakeChatClient("local") { DefaultReply = _ => "local", MaxRecordedRequests = 1 };
            var cloud = new FakeChatClient("cloud") { DefaultReply = _ => "cloud", MaxRecordedRequests = 1 };
            var services = new ServiceCollection();
            services.AddHybridInference(o =>
            {
                o.Local.Backends.Add(new BackendOptions { Name = "local", Provider = "vllm", Tokenizer = value, ContextWindow = window });
                o.Cloud.Backends.Add(new BackendOptions { Name = "cloud", Provider = "openai", Model = "gpt-4o" });
                o.Routing.LocalContextLimit = localContextLimit ? window : null;
                o.Routing.DefaultOutputTokens = reserve;
                o.Classification.UseBuiltInRules = false; // decided on size alone
                o.Classification.ComplexConversationMessages = 0;
            })
                .AddTokenizers()
                .AddLocalBackend("local", _ => local)
                .AddCloudBackend("cloud", _ => cloud);

            // The exact counters, wrapped to count their calls.
            var tokenizers = services.Last(d => d.ServiceType == typeof(ITokenCounterProvider));
            services.Remove(tokenizers);
            services.AddSingleton<ITokenCounterProvider>(sp => new CountingProvider((ITokenCounterProvider)ActivatorUtilities.CreateInstance(sp, tokenizers.ImplementationType!)));
            return new Chain(services.BuildServiceProvider(), local, cloud);
        }

        public int Estimate(List<ChatMessage> prompt) => _estimate.CountPromptTokens(prompt, null);

        public void Dispose() => _provider.Dispose();
    }

    private sealed class CountingProvider(ITokenCounterProvider inner) : ITokenCounterProvider
    {
        private int _calls;

        public int Calls => Volatile.Read(ref _calls);

        public bool TryGetExactCounter(string backendName, [NotNullWhen(true)] out ITokenCounter? counter)
        {
            if (!inner.TryGetExactCounter(backendName, out var exact))
            {
                counter = null;
                return false;
            }

            counter = new CountingCounter(exact, this);
            return true;
        }

        private sealed class CountingCounter(ITokenCounter inner, CountingProvider owner) : ITokenCounter
        {
            public int CountPromptTokens(IEnumerable<ChatMessage> messages, ChatOptions? options)
            {
                Interlocked.Increment(ref owner._calls);
                return inner.CountPromptTokens(messages, options);
            }
        }
    }
}
