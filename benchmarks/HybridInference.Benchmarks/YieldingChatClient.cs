using Microsoft.Extensions.AI;

namespace HybridInference.Benchmarks;

/// <summary>A backend that answers with a prepared response after yielding, so that every caller above it completes asynchronously, as over a network.</summary>
internal sealed class YieldingChatClient(string text) : IChatClient
{
    private readonly ChatResponse _response = new(new ChatMessage(ChatRole.Assistant, text))
    {
        ModelId = "noop",
        Usage = new UsageDetails { InputTokenCount = 12, OutputTokenCount = 9, TotalTokenCount = 21 },
    };

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        await Task.Yield();
        return _response;
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
