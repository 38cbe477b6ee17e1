using Microsoft.Extensions.AI;

namespace HybridInference;

/// <summary>
/// Estimates how many tokens a prompt takes, for routing on context length. Register another implementation in
/// DI (for example one over Microsoft.ML.Tokenizers with the local model's tokenizer) to replace the default estimate.
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
