using HybridInference.Http;
using HybridInference.OpenAI.Dialects;
using Microsoft.Extensions.AI;

namespace HybridInference.OpenAI.DependencyInjection;

/// <summary>Creates <see cref="OpenAICompatibleChatClient"/>s for backends configured with a known provider.</summary>
internal sealed class OpenAIBackendClientFactory : IBackendClientFactory
{
    public bool CanCreate(string provider) => ServerDialects.Find(provider) is not null;

    public IEnumerable<string> Validate(BackendOptions backend, BackendLane lane, string key)
    {
        ArgumentNullException.ThrowIfNull(backend);
        var dialect = ServerDialects.Find(backend.Provider)!;
        var endpoint = backend.Endpoint ?? dialect.DefaultEndpoint;
        if (!endpoint.IsAbsoluteUri || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps))
        {
            yield return $"{key}:Endpoint '{EndpointDisplay.Render(endpoint)}' must be an absolute http or https URL.";
        }

        if (dialect.IsCloud && lane == BackendLane.Local)
        {
            // A cloud API in the local lane would receive local-only requests.
            yield return $"{key}: provider '{dialect.Name}' is a cloud API; it cannot be a local backend (move it to Cloud:Backends).";
        }

        if (dialect.IsCloud && ResolveApiKey(backend, dialect) is null)
        {
            yield return $"{key}:ApiKey is missing for provider '{dialect.Name}'; set it, or the {dialect.ApiKeyVariable} environment variable.";
        }

        if (dialect.IsCloud && string.IsNullOrWhiteSpace(backend.Model))
        {
            yield return $"{key}:Model is required for provider '{dialect.Name}'.";
        }
    }

    public IChatClient Create(BackendOptions backend, BackendLane lane, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(services);
        var dialect = ServerDialects.Find(backend.Provider)!;
        var httpClient = SecretHeaderRedaction.CreateClient(services, backend.Name);
        httpClient.Timeout = Timeout.InfiniteTimeSpan; // The SDK's per-call timeout governs, so that long streams are not cut.
        return new OpenAICompatibleChatClient(
            new OpenAICompatibleChatClientOptions
            {
                Provider = dialect.Name,
                Endpoint = backend.Endpoint,
                Model = backend.Model,
                ApiKey = ResolveApiKey(backend, dialect),
                Name = backend.Name,
                Timeout = backend.Timeout,
                TimeoutSetting = $"the Timeout of backend '{backend.Name}' under HybridInference:{lane}:Backends",
            },
            httpClient);
    }

    private static string? ResolveApiKey(BackendOptions backend, ServerDialect dialect) =>
        !string.IsNullOrEmpty(backend.ApiKey) ? backend.ApiKey
        : dialect.ApiKeyVariable is { } variable && Environment.GetEnvironmentVariable(variable) is { Length: > 0 } fromEnvironment ? fromEnvironment
        : null;
}
