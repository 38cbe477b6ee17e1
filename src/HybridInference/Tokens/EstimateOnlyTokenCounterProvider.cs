using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.Options;

namespace HybridInference.Tokens;

/// <summary>
/// The <see cref="ITokenCounterProvider"/> of the core package: no backend has an exact counter. A backend whose
/// <see cref="BackendOptions.Tokenizer"/> is set fails here, naming the key, since nothing here can load it.
/// </summary>
internal sealed class EstimateOnlyTokenCounterProvider : ITokenCounterProvider
{
    public EstimateOnlyTokenCounterProvider(IOptions<HybridInferenceOptions> options)
    {
        ThrowIfTokenizerConfigured(options.Value.Local.Backends, "Local");
        ThrowIfTokenizerConfigured(options.Value.Cloud.Backends, "Cloud");
    }

    public bool TryGetExactCounter(string backendName, [NotNullWhen(true)] out ITokenCounter? counter)
    {
        ArgumentNullException.ThrowIfNull(backendName);
        counter = null;
        return false;
    }

    private static void ThrowIfTokenizerConfigured(IList<BackendOptions> backends, string lane)
    {
        for (var i = 0; i < backends.Count; i++)
        {
            if (!string.IsNullOrWhiteSpace(backends[i].Tokenizer))
            {
                throw new InvalidOperationException(
                    $"HybridInference:{lane}:Backends:{i}:Tokenizer is set for backend '{backends[i].Name}', but no tokenizers are registered: " +
                    "add the HybridInference.Tokenizers package and call AddTokenizers() on the builder that AddHybridInference returns.");
            }
        }
    }
}
