using HybridInference.Tokenizers;

namespace HybridInference;

/// <summary>Creates the exact per-backend token counters for a chain built by hand, as <c>AddTokenizers()</c> does for one built by DI.</summary>
public static class TokenizerCounters
{
    /// <summary>
    /// Loads, now, the tokenizer of every backend in <see cref="HybridInferenceOptions.Local"/> and
    /// <see cref="HybridInferenceOptions.Cloud"/>: the one its <see cref="BackendOptions.Tokenizer"/> names, else for a
    /// cloud backend its OpenAI model's encoding. Give the result to
    /// <c>UseTaskClassifier(routing, tokenCounters)</c>, and put it in the services the pools are built with for the
    /// all-cloud baseline to count on the cloud model's tokenizer.
    /// </summary>
    /// <param name="options">The settings whose backends are read (by name: add the same <see cref="BackendOptions"/> to the pool).</param>
    /// <returns>The counters, by backend name.</returns>
    /// <exception cref="InvalidOperationException">A backend's <c>Tokenizer</c> could not be loaded; the message names its key.</exception>
    public static ITokenCounterProvider Create(HybridInferenceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return new TokenizerCounterProvider(options);
    }
}
