using HybridInference.Anthropic;
using HybridInference.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Options;

namespace HybridInference;

/// <summary>Adds the Anthropic provider to the hybrid client.</summary>
public static class AnthropicHybridInferenceBuilderExtensions
{
    /// <summary>
    /// Lets configuration declare cloud backends with provider <c>anthropic</c> (Claude models, through Anthropic's
    /// official package). Each gets its own named <see cref="HttpClient"/> (<c>HybridInference.&lt;backend name&gt;</c>).
    /// </summary>
    /// <param name="builder">The hybrid client's builder.</param>
    /// <returns><paramref name="builder"/>.</returns>
    public static HybridInferenceBuilder AddAnthropicProvider(this HybridInferenceBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Services.AddHttpClient();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IBackendClientFactory, AnthropicBackendClientFactory>());

        // The key headers stay out of the factory's header logs even when the app names its own sensitive headers.
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<HttpClientFactoryOptions>, SecretHeaderRedaction>());
        return builder;
    }
}
