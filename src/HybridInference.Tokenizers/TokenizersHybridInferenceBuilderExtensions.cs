using HybridInference.Tokenizers;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace HybridInference;

/// <summary>Adds exact, per-backend token counts to the hybrid client.</summary>
public static class TokenizersHybridInferenceBuilderExtensions
{
    /// <summary>
    /// Registers an <see cref="ITokenCounterProvider"/> that counts each backend's prompts with its own tokenizer,
    /// through Microsoft.ML.Tokenizers: the one its <c>Tokenizer</c> key names (a tiktoken encoding name, a
    /// SentencePiece <c>.model</c> file or a tiktoken file), else for a cloud backend its OpenAI model's encoding
    /// (<c>o200k_base</c> for gpt-4o, gpt-4.1 and the o-series, <c>cl100k_base</c> for gpt-4 and gpt-3.5). Backends with
    /// neither are counted by the estimate. Tokenizers are loaded once when the hybrid client is built; a
    /// <c>Tokenizer</c> that names no encoding and no file fails at start-up, naming its key.
    /// </summary>
    /// <param name="builder">The hybrid client's builder, from <c>AddHybridInference</c>.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static HybridInferenceBuilder AddTokenizers(this HybridInferenceBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.Replace(ServiceDescriptor.Singleton<ITokenCounterProvider, TokenizerCounterProvider>());
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<HybridInferenceOptions>, TokenizersOptionsValidator>());
        return builder;
    }
}
