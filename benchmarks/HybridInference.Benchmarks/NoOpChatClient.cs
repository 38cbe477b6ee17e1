using Microsoft.Extensions.AI;

namespace HybridInference.Benchmarks;

/// <summary>A backend that answers at once with a prepared response: what remains is the cost of whatever is in front of it.</summary>
internal sealed class NoOpChatClient(string text) : IChatClient
{
    private readonly Task<ChatResponse> _response = Task.FromResult(new ChatResponse(new ChatMessage(ChatRole.Assistant, text))
    {
        ModelId = "noop",
        Usage = new UsageDetails { InputTokenCount = 12, OutputTokenCount = 9, TotalTokenCount = 21 },
    });

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) => _response;

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        throw new NotSupportedException();

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
