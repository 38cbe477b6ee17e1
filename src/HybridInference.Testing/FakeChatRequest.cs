using Microsoft.Extensions.AI;

namespace HybridInference.Testing;

/// <summary>A request a <see cref="FakeChatClient"/> received, as it arrived.</summary>
/// <param name="Messages">A copy of the request's messages.</param>
/// <param name="Options">The request's options (the instance the client received).</param>
/// <param name="Streaming">Whether the request asked for a streaming response.</param>
public sealed record FakeChatRequest(IReadOnlyList<ChatMessage> Messages, ChatOptions? Options, bool Streaming)
{
    /// <summary>Gets the text of the last user message, which is what most tests look for.</summary>
    public string LastUserText => Messages.LastOrDefault(m => m.Role == ChatRole.User)?.Text ?? string.Empty;
}
