using Anthropic;
using Anthropic.Core;
using HybridInference.Http;
using Microsoft.Extensions.AI;

namespace HybridInference.Anthropic;

/// <summary>Creates clients for backends configured with provider <c>anthropic</c>, through Anthropic's official package.</summary>
internal sealed class AnthropicBackendClientFactory : IBackendClientFactory
{
    public const string ProviderName = "anthropic";
    public const string ApiKeyVariable = "ANTHROPIC_API_KEY";
    public static readonly Uri DefaultEndpoint = new("https://api.anthropic.com");

    public bool CanCreate(string provider) => string.Equals(provider, ProviderName, StringComparison.OrdinalIgnoreCase);

    public IEnumerable<string> Validate(BackendOptions backend, BackendLane lane, string key)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var endpoint = backend.Endpoint ?? DefaultEndpoint;
        if (!endpoint.IsAbsoluteUri || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps))
        {
            yield return $"{key}:Endpoint '{EndpointDisplay.Render(endpoint)}' must be an absolute http or https URL.";
        }

        if (lane == BackendLane.Local)
        {
            // A cloud API in the local lane would receive local-only requests.
            yield return $"{key}: provider 'anthropic' is a cloud API; it cannot be a local backend (move it to Cloud:Backends).";
        }

        if (ResolveApiKey(backend) is null)
        {
            yield return $"{key}:ApiKey is missing for provider 'anthropic'; set it, or the {ApiKeyVariable} environment variable.";
        }

        if (string.IsNullOrWhiteSpace(backend.Model))
        {
            yield return $"{key}:Model is required for provider 'anthropic'.";
        }
    }

    public IChatClient Create(BackendOptions backend, BackendLane lane, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(services);
        var apiKey = ResolveApiKey(backend);
        var httpClient = SecretHeaderRedaction.CreateClient(services, backend.Name);
        httpClient.Timeout = Timeout.InfiniteTimeSpan; // The SDK's per-call timeout governs.
        var endpoint = backend.Endpoint ?? DefaultEndpoint;
        var client = new AnthropicClient(new ClientOptions
        {
            HttpClient = httpClient,
            BaseUrl = endpoint.ToString().TrimEnd('/'),
            ApiKey = apiKey,
            MaxRetries = 0, // The hybrid chain decides what follows a failure.
            Timeout = backend.Timeout ?? TimeSpan.FromSeconds(100),
        });
        var probe = new AnthropicHealthProbe(httpClient, endpoint, backend.Name, apiKey);
        return new AnthropicErrorMappingChatClient(client.AsIChatClient(backend.Model!), backend.Name, apiKey, probe);
    }

    private static string? ResolveApiKey(BackendOptions backend) =>
        !string.IsNullOrEmpty(backend.ApiKey) ? backend.ApiKey
        : Environment.GetEnvironmentVariable(ApiKeyVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment
        : null;
}
