using BenchmarkDotNet.Attributes;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;

namespace HybridInference.Benchmarks.Routing;

/// <summary>
/// What the chain adds to each streamed update: a stream of <see cref="Updates"/> updates read straight from a stub
/// backend (baseline) and through the whole chain built by <c>AddHybridInference</c>. The per-update cost is the
/// difference of the differences between 1,000 and 1 updates, divided by 999 (100 updates is the case; see
/// benchmarks/README.md for why the 1,000-update stream is the one to read).
/// </summary>
[MemoryDiagnoser]
public class StreamingOverheadBenchmarks
{
    private static readonly ChatMessage[] Prompt = [new(ChatRole.User, "Summarize this note in one sentence: the meeting moved to Thursday at 10.")];

    private StreamingStubClient _bare = null!;
    private IChatClient _chain = null!;
    private ServiceProvider _services = null!;

    /// <summary>Gets or sets how many updates the stream has.</summary>
    [Params(1, 100, 1000)]
    public int Updates { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _bare = new StreamingStubClient(Updates);
        var services = new ServiceCollection();
        services.AddHybridInference(o => { })
            .AddLocalBackend("local", _ => _bare)
            .AddCloudBackend("cloud", _ => new NoOpChatClient("cloud"));
        _services = services.BuildServiceProvider();
        _chain = _services.GetRequiredService<IChatClient>();
    }

    [GlobalCleanup]
    public void Cleanup() => _services.Dispose();

    [Benchmark(Baseline = true)]
    public Task<int> BareBackend() => ReadAsync(_bare);

    [Benchmark]
    public Task<int> FullChain() => ReadAsync(_chain);

    private static async Task<int> ReadAsync(IChatClient client)
    {
        var count = 0;
        await foreach (var update in client.GetStreamingResponseAsync(Prompt).ConfigureAwait(false))
        {
            count += update.Contents.Count;
        }

        return count;
    }

    /// <summary>A backend that streams the same text updates, synchronously (no I/O), with usage on the last.</summary>
    private sealed class StreamingStubClient : IChatClient
    {
        private readonly ChatResponseUpdate[] _updates;

        public StreamingStubClient(int count)
        {
            _updates = new ChatResponseUpdate[count];
            for (var i = 0; i < count; i++)
            {
                _updates[i] = new ChatResponseUpdate(ChatRole.Assistant, "word ") { ModelId = "noop" };
            }

            _updates[^1].Contents.Add(new UsageContent(new UsageDetails { InputTokenCount = 12, OutputTokenCount = count }));
            _updates[^1].FinishReason = ChatFinishReason.Stop;
        }

        public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
            throw new NotSupportedException();

#pragma warning disable CS1998 // Synchronous on purpose: the baseline is the cost of reading the updates, no I/O.
        public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
            IEnumerable<ChatMessage> messages, ChatOptions? options = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
#pragma warning restore CS1998
        {
            foreach (var update in _updates)
            {
                yield return update;
            }
        }

        public object? GetService(Type serviceType, object? serviceKey = null) => null;

        public void Dispose()
        {
        }
    }
}
