using Microsoft.Extensions.AI;

namespace HybridInference;

/// <summary>
/// Counts how many tokens a prompt takes, for routing on context length. The default is the built-in estimate;
/// register another implementation in DI before <c>AddHybridInference</c> to replace it. Exact counts per backend
/// come from <see cref="ITokenCounterProvider"/> (<c>AddTokenizers()</c> in the HybridInference.Tokenizers package).
/// </summary>
/// <remarks>Called on every request, on the routing hot path: implementations must be thread-safe and fast.</remarks>
public interface ITokenCounter
{
    /// <summary>Estimates the prompt tokens of a request: every message, the instructions and the tool definitions.</summary>
    /// <param name="messages">The request's messages.</param>
    /// <param name="options">The request's options, if any.</param>
    /// <returns>The estimated number of prompt tokens.</returns>
    int CountPromptTokens(IEnumerable<ChatMessage> messages, ChatOptions? options);
}
