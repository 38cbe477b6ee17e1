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
    private IChatClient _tokenizedChain = null!;
    private ServiceProvider _tokenizedServices = null!;
    private ServiceProvider _services = null!;
    private ServiceProvider _jsonServices = null!;

    [GlobalSetup]
    public void Setup()
    {
        _bare = new NoOpChatClient("The meeting is now on Thursday at 10.");
        (_services, _chain) = Build(_bare);
        (_jsonServices, _jsonChain) = Build(new NoOpChatClient(PersonJson));
        (_tokenizedServices, _tokenizedChain) = Build(_bare, tokenizer: "o200k_base");
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _services.Dispose();
        _jsonServices.Dispose();
        _tokenizedServices.Dispose();
    }

    [Benchmark(Baseline = true)]
    public Task<ChatResponse> BareBackend() => _bare.GetResponseAsync(Prompt);

    [Benchmark]
    public Task<ChatResponse> FullChain() => _chain.GetResponseAsync(Prompt);

    [Benchmark]
    public Task<ChatResponse> FullChainJson() => _jsonChain.GetResponseAsync(Prompt, _jsonOptions);

    /// <summary>
    /// The same request through a chain whose local backend has an exact counter (o200k_base, <c>AddTokenizers()</c>):
    /// far from every limit, the prompt is decided on the estimate, so this should cost what <see cref="FullChain"/> does.
    /// </summary>
    [Benchmark]
    public Task<ChatResponse> FullChainWithTokenizer() => _tokenizedChain.GetResponseAsync(Prompt);

    private static (ServiceProvider, IChatClient) Build(IChatClient local, string? tokenizer = null)
    {
        var services = new ServiceCollection();
        var builder = services.AddHybridInference(o =>
            {
                if (tokenizer is not null)
                {
                    o.Local.Backends.Add(new BackendOptions { Name = "local", Tokenizer = tokenizer });
                }
            })
            .AddLocalBackend("local", _ => local)
            .AddCloudBackend("cloud", _ => new NoOpChatClient("cloud"));
        if (tokenizer is not null)
        {
            builder.AddTokenizers();
        }

        var provider = services.BuildServiceProvider();
        return (provider, provider.GetRequiredService<IChatClient>());
    }
}
