using Microsoft.Extensions.AI;

namespace HybridInference;

/// <summary>
/// A backend client that can count a prompt's tokens on its own server, with the model's tokenizer and chat template
/// (llama.cpp, vLLM, TGI and LocalAI have such an endpoint), without generating anything. The chain asks it, for a
/// local backend that has no configured <see cref="BackendOptions.Tokenizer"/>, only when a prompt's estimate is near a
/// limit it is routed on. Found through <c>IChatClient.GetService</c>; the OpenAI-compatible client offers it for the
/// dialects whose server counts tokens.
/// </summary>
/// <remarks>
/// The call is I/O: the chain bounds it with a short timeout and the request's deadline, and any failure (the endpoint
/// missing, a timeout, a server error) makes that request fall back to the estimate; it never fails the request and
/// never counts against the backend's health or the circuit breaker. A <see cref="BackendException"/> of kind
/// <see cref="BackendErrorKind.NotFound"/> (HTTP 404: the server has no such endpoint) turns the source off for the
/// backend. Implementations must be thread-safe.
/// </remarks>
public interface IBackendTokenCounter
{
    /// <summary>Counts the tokens the server would see for a chat request: every message, the instructions and the tool definitions.</summary>
    /// <param name="messages">The request's messages.</param>
    /// <param name="options">The request's options, if any.</param>
    /// <param name="cancellationToken">Cancels the count (the chain's timeout or the request's deadline).</param>
    /// <returns>The prompt's tokens as the server counts them.</returns>
    /// <exception cref="BackendException">The server could not count them (its <see cref="BackendException.Kind"/> says why).</exception>
    ValueTask<int> CountPromptTokensAsync(IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken = default);
}
