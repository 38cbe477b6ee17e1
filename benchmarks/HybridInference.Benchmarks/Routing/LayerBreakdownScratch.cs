using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.AI;

namespace HybridInference.Benchmarks.Routing;

[MemoryDiagnoser]
public class LayerBreakdownScratch
{
    private static readonly ChatMessage[] Prompt = [new(ChatRole.User, "Summarize this note in one sentence: the meeting moved to Thursday at 10.")];
    private IChatClient _meter = null!, _classifier = null!, _router = null!, _fallback = null!, _breaker = null!;

    [GlobalSetup]
    public void Setup()
    {
        var bare = new NoOpChatClient("x");
        _meter = new ChatClientChainBuilder(bare).UseCostMeter().Build();
        _classifier = new ChatClientChainBuilder(bare).UseCostMeter().UseTaskClassifier().Build();
        _router = new ChatClientChainBuilder(bare).UseCostMeter().UseTaskClassifier().UseHybridRouter(new NoOpChatClient("c")).Build();
        _fallback = new ChatClientChainBuilder(bare).UseCostMeter().UseTaskClassifier().UseHybridRouter(new NoOpChatClient("c")).UseSchemaValidatingFallback(null).Build();
        _breaker = new ChatClientChainBuilder(bare).UseCircuitBreaker().Build();
    }

    [Benchmark] public Task<ChatResponse> Meter() => _meter.GetResponseAsync(Prompt);
    [Benchmark] public Task<ChatResponse> PlusClassifier() => _classifier.GetResponseAsync(Prompt);
    [Benchmark] public Task<ChatResponse> PlusRouter() => _router.GetResponseAsync(Prompt);
    [Benchmark] public Task<ChatResponse> PlusFallback() => _fallback.GetResponseAsync(Prompt);
    [Benchmark] public Task<ChatResponse> BreakerAlone() => _breaker.GetResponseAsync(Prompt);
}
