using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace HybridInference.Benchmarks.Routing;

/// <summary>
/// What the chain adds when the backend completes asynchronously, as a network backend does: every async layer
/// then pays for its state machine and continuation. A backend that yields once, called directly (baseline) and
/// behind the whole chain. In-process, so without the noise of a loopback HTTP server sharing the cores.
/// </summary>
[MemoryDiagnoser]
public class AsyncRoutingOverheadBenchmarks
{
    private static readonly ChatMessage[] Prompt = [new(ChatRole.User, "Summarize this note in one sentence: the meeting moved to Thursday at 10.")];

    private IChatClient _bare = null!;
    private IChatClient _chain = null!;
    private ServiceProvider _services = null!;

    [GlobalSetup]
    public void Setup()
    {
        _bare = new YieldingChatClient("The meeting is now on Thursday at 10.");
        var services = new ServiceCollection();
        var bare = _bare;
        services.AddHybridInference(o => { }).AddLocalBackend("local", _ => bare).AddCloudBackend("cloud", _ => new NoOpChatClient("cloud"));
        _services = services.BuildServiceProvider();
        _chain = _services.GetRequiredService<IChatClient>();
    }

    [GlobalCleanup]
    public void Cleanup() => _services.Dispose();

    [Benchmark(Baseline = true)]
    public Task<ChatResponse> BareAsyncBackend() => _bare.GetResponseAsync(Prompt);

    [Benchmark]
    public Task<ChatResponse> FullChainAsyncBackend() => _chain.GetResponseAsync(Prompt);
}
