using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace HybridInference.Benchmarks.Routing;

/// <summary>
/// What the hybrid chain adds to a request: the same no-op backend called directly (baseline) and behind the whole
/// chain built by AddHybridInference (cost meter, classifier, router, fallback, breaker, pool).
/// Target: FullChain at most 2 µs and 2 KB more than BareBackend.
/// </summary>
[MemoryDiagnoser]
public class RoutingOverheadBenchmarks
{
    private const string PersonJson = """{"name":"Ada","age":36}""";

    private static readonly ChatMessage[] Prompt = [new(ChatRole.User, "Summarize this note in one sentence: the meeting moved to Thursday at 10.")];

    private readonly ChatOptions _jsonOptions = new()
    {
        ResponseFormat = ChatResponseFormat.ForJsonSchema(
            JsonDocument.Parse("""{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"]}""").RootElement,
            "person"),
    };

    private IChatClient _bare = null!;
    private IChatClient _chain = null!;
    private IChatClient _jsonChain = null!;
    private ServiceProvider _services = null!;
    private ServiceProvider _jsonServices = null!;

    [GlobalSetup]
    public void Setup()
    {
        _bare = new NoOpChatClient("The meeting is now on Thursday at 10.");
        (_services, _chain) = Build(_bare);
        (_jsonServices, _jsonChain) = Build(new NoOpChatClient(PersonJson));
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _services.Dispose();
        _jsonServices.Dispose();
    }

    [Benchmark(Baseline = true)]
    public Task<ChatResponse> BareBackend() => _bare.GetResponseAsync(Prompt);

    [Benchmark]
    public Task<ChatResponse> FullChain() => _chain.GetResponseAsync(Prompt);

    [Benchmark]
    public Task<ChatResponse> FullChainJson() => _jsonChain.GetResponseAsync(Prompt, _jsonOptions);

    private static (ServiceProvider, IChatClient) Build(IChatClient local)
    {
        var services = new ServiceCollection();
        services.AddHybridInference(o => { })
            .AddLocalBackend("local", _ => local)
            .AddCloudBackend("cloud", _ => new NoOpChatClient("cloud"));
        var provider = services.BuildServiceProvider();
        return (provider, provider.GetRequiredService<IChatClient>());
    }
}
