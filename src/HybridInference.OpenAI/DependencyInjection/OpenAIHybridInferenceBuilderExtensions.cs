using HybridInference.Http;
using HybridInference.OpenAI.DependencyInjection;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Options;

namespace HybridInference;

/// <summary>Adds the OpenAI-compatible providers to the hybrid client.</summary>
public static class OpenAIHybridInferenceBuilderExtensions
{
    /// <summary>
    /// Lets configuration declare backends by provider: <c>vllm</c>, <c>ollama</c>, <c>llamacpp</c>, <c>tgi</c>,
    /// <c>localai</c>, <c>mlx</c>, <c>openai</c> and <c>openai-compatible</c>. Each backend gets its own named
    /// <see cref="HttpClient"/> from <see cref="IHttpClientFactory"/> (<c>HybridInference.&lt;backend name&gt;</c>), so
    /// handlers and proxies can be configured per backend. Provider <c>openai</c> in the cloud lane runs on
    /// Microsoft.Extensions.AI.OpenAI's client (SDK retries off, errors mapped to <see cref="BackendException"/>); the
    /// local dialects on this package's own wire code.
    /// </summary>
    /// <param name="builder">The hybrid client's builder.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static HybridInferenceBuilder AddOpenAIProviders(this HybridInferenceBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddHttpClient();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IBackendClientFactory, OpenAIBackendClientFactory>());

        // The key headers stay out of the factory's header logs even when the app names its own sensitive headers.
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<HttpClientFactoryOptions>, SecretHeaderRedaction>());
        return builder;
    }
}
