using System.Diagnostics.CodeAnalysis;

namespace HybridInference;

/// <summary>
/// Gives the exact token counter of a backend, where one is known: the tokenizer configured for it
/// (<see cref="BackendOptions.Tokenizer"/>) or its model's. Registered by <c>AddHybridInference</c> (with no exact
/// counters) and replaced by <c>AddTokenizers()</c> from the HybridInference.Tokenizers package.
/// </summary>
/// <remarks>
/// Tokenizers are loaded once, when the provider is built, never per request; the counters are thread-safe and cache
/// counts per message text, so a chat that resends its history is counted once per new message. Where a local backend
/// has no exact counter but its client offers its server's count (<see cref="IBackendTokenCounter"/>), that count is
/// asked near a limit; otherwise the <see cref="ITokenCounter"/> in the services (the built-in estimate by default) is the count.
/// </remarks>
public interface ITokenCounterProvider
{
    /// <summary>Gets the exact token counter of a backend.</summary>
    /// <param name="backendName">The backend's name (any case).</param>
    /// <param name="counter">The backend's tokenizer as an <see cref="ITokenCounter"/>; null when it has none.</param>
    /// <returns>Whether the backend has an exact counter.</returns>
    bool TryGetExactCounter(string backendName, [NotNullWhen(true)] out ITokenCounter? counter);
}
