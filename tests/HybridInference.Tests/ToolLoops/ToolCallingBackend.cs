using System.Runtime.CompilerServices;

namespace HybridInference.Tests.ToolLoops;

/// <summary>
/// A backend that plays a tool-capable model: while the conversation holds fewer than <see cref="ToolTurns"/> tool
/// results it asks for the offered tool (a fresh call id each time), then answers with a text naming itself. It can be
/// taken down (it then fails as an unreachable server does) and brought back.
/// </summary>
internal sealed class ToolCallingBackend(string model, TimeProvider? time = null) : IChatClient
{
    private int _calls;

    /// <summary>Gets or sets a value indicating whether the backend fails every call, as a server that is gone.</summary>
    public bool Down { get; set; }

    /// <summary>Gets or sets the number of tool calls it makes in a conversation before it answers.</summary>
    public int ToolTurns { get; set; } = 4;

    /// <summary>Gets or sets how long it takes to answer, on the clock it was given.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>Gets the number of calls it received (failed ones included).</summary>
    public int Calls => Volatile.Read(ref _calls);

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _calls);
        if (Down)
        {
            throw new BackendException(BackendErrorKind.Unavailable, "Connection refused (test).");
        }

        if (Delay > TimeSpan.Zero)
        {
            await Task.Delay(Delay, time ?? TimeProvider.System, cancellationToken);
        }

        var results = messages.Count(m => m.Contents.Any(c => c is FunctionResultContent));
        ChatMessage answer = options?.Tools is [var tool, ..] && results < ToolTurns
            ? new(ChatRole.Assistant, [new FunctionCallContent("call_" + Guid.NewGuid().ToString("N")[..12], tool.Name, new Dictionary<string, object?> { ["step"] = results + 1 })])
            : new(ChatRole.Assistant, $"[{model}] done after {results} tool result(s)");
        return new ChatResponse(answer)
        {
            ModelId = model,
            FinishReason = answer.Contents[0] is FunctionCallContent ? ChatFinishReason.ToolCalls : ChatFinishReason.Stop,
            Usage = new UsageDetails { InputTokenCount = 40, OutputTokenCount = 10 },
        };
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken);
        foreach (var update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => serviceType.IsInstanceOfType(this) ? this : null;

    public void Dispose()
    {
    }
}
