using System.ClientModel;
using System.ClientModel.Primitives;
using HybridInference.Http;
using HybridInference.OpenAI.Dialects;
using HybridInference.OpenAI.Wire;
using Microsoft.Extensions.AI;
using OpenAI;

namespace HybridInference.OpenAI.DependencyInjection;

/// <summary>
/// Creates the clients of backends configured with a known provider: <see cref="OpenAICompatibleChatClient"/> for the
/// local dialects, Microsoft.Extensions.AI.OpenAI's client (errors mapped) for provider <c>openai</c> in the cloud lane.
/// </summary>
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
        if (lane == BackendLane.Local && DiscoveredHost(backend, services) is { } host)
        {
            // A member of a discovered backend is reached at its address, but asked by the configured name: the Host
            // header carries it, and over HTTPS SocketsHttpHandler sends it as the TLS server name and validates the
            // certificate against it.
            httpClient.DefaultRequestHeaders.Host = host;
        }

        var options = new OpenAICompatibleChatClientOptions
        {
            Provider = dialect.Name,
            Endpoint = backend.Endpoint,
            Model = backend.Model,
            ApiKey = ResolveApiKey(backend, dialect),
            Name = backend.Name,
            // A local server gets the core's local default (30 s), so that a stalled one fails over while the caller waits.
            Timeout = backend.Timeout ?? (lane == BackendLane.Local ? OpenAICompatibleChatClient.DefaultLocalTimeout : null),
            TimeoutSetting = TimeoutKey(backend, lane, services),
            // A local server is sent Routing:DefaultOutputTokens when the request sets no limit, so that a model that
            // does not stop cannot fill its slot (the router reserved as much in the window).
            DefaultMaxOutputTokens = lane == BackendLane.Local ? Options(services)?.Routing.DefaultOutputTokens : null,
        };

        // The local dialects keep this library's wire code (TGI's schema form, reasoning fields, errors inside 200
        // streams, probes); the OpenAI API itself goes through Microsoft.Extensions.AI.OpenAI.
        var client = new OpenAICompatibleChatClient(options, httpClient);
        return lane == BackendLane.Cloud && dialect == ServerDialects.OpenAI ? CreateOpenAICloud(options, httpClient, probe: client) : client;
    }

    /// <summary>
    /// The configured host (and port) of the backend a member of a <c>Discovery: Dns</c> backend belongs to: the member is
    /// named <c>name/address:port</c> and its endpoint has the address where the configured endpoint has the name.
    /// Null for any other backend, and for SRV members (the SRV name is no host; their Host header is the address).
    /// </summary>
    private static string? DiscoveredHost(BackendOptions member, IServiceProvider services)
    {
        var split = member.Name.IndexOf('/', StringComparison.Ordinal);
        if (split <= 0 || member.Endpoint is not { } endpoint || Options(services) is not { } options)
        {
            return null;
        }

        foreach (var configured in options.Local.Backends)
        {
            if (configured.Discovery == BackendDiscovery.Dns && configured.Endpoint is { } named
                && string.Equals(configured.Name, member.Name[..split], StringComparison.OrdinalIgnoreCase)
                && !string.Equals(named.Host, endpoint.Host, StringComparison.OrdinalIgnoreCase))
            {
                return named.IsDefaultPort ? named.IdnHost : $"{named.IdnHost}:{named.Port}";
            }
        }

        return null;
    }

    /// <summary>
    /// Creates the client of the OpenAI API: Microsoft.Extensions.AI.OpenAI's over the backend's <see cref="HttpClient"/>,
    /// with the SDK's retries off (the chain decides what follows a failure) and its errors mapped.
    /// </summary>
    /// <param name="options">The backend's settings (endpoint, model, key, name, timeout and where it is set).</param>
    /// <param name="httpClient">The backend's client from <see cref="IHttpClientFactory"/>.</param>
    /// <param name="probe">The token-free health probe (this library's; the package has none).</param>
    internal static IChatClient CreateOpenAICloud(OpenAICompatibleChatClientOptions options, HttpClient httpClient, IBackendHealthProbe? probe)
    {
        var endpoint = options.Endpoint ?? ServerDialects.OpenAI.DefaultEndpoint;
        var apiKey = options.ApiKey is { Length: > 0 } key ? key
            : throw new InvalidOperationException($"Backend '{options.Name}' (provider 'openai') has no API key; set its ApiKey or the {ServerDialects.OpenAI.ApiKeyVariable} environment variable.");
        var timeout = options.Timeout ?? OpenAICompatibleChatClient.DefaultTimeout;
        var name = options.Name ?? ServerDialects.OpenAI.Name;
        var clientOptions = new OpenAIClientOptions
        {
            Endpoint = endpoint,
            RetryPolicy = new ClientRetryPolicy(maxRetries: 0),
            NetworkTimeout = timeout,
            Transport = new HttpClientPipelineTransport(httpClient),
        };
        clientOptions.AddPolicy(AnswerSeenPolicy.Instance, PipelinePosition.PerCall);
        var chat = new OpenAIClient(new ApiKeyCredential(apiKey), clientOptions).GetChatClient(options.Model ?? "default").AsIChatClient();
        var metadata = new ChatClientMetadata(ServerDialects.OpenAI.Name, new Uri(EndpointDisplay.Render(endpoint)), options.Model);
        return new OpenAIErrorMappingChatClient(
            chat, name, apiKey, BackendErrors.DescribeTimeout(timeout, options.TimeoutSetting ?? "OpenAICompatibleChatClientOptions.Timeout"), metadata, probe);
    }

    /// <summary>
    /// Names the setting a user changes for this backend's timeout: its configuration key with the backend's index
    /// (<c>HybridInference:Local:Backends:0:Timeout</c>) when it is configured, or where it would go when it is not.
    /// </summary>
    private static string TimeoutKey(BackendOptions backend, BackendLane lane, IServiceProvider services)
    {
        var configured = Options(services) is { } options
            ? (lane == BackendLane.Local ? options.Local.Backends : options.Cloud.Backends).IndexOf(backend)
            : -1;
        return configured >= 0
            ? $"HybridInference:{lane}:Backends:{configured}:Timeout (backend '{backend.Name}')"
            : $"the Timeout of backend '{backend.Name}' under HybridInference:{lane}:Backends";
    }

    private static HybridInferenceOptions? Options(IServiceProvider services) =>
        (services.GetService(typeof(Microsoft.Extensions.Options.IOptions<HybridInferenceOptions>)) as Microsoft.Extensions.Options.IOptions<HybridInferenceOptions>)?.Value;

    private static string? ResolveApiKey(BackendOptions backend, ServerDialect dialect) =>
        !string.IsNullOrEmpty(backend.ApiKey) ? backend.ApiKey
        : dialect.ApiKeyVariable is { } variable && Environment.GetEnvironmentVariable(variable) is { Length: > 0 } fromEnvironment ? fromEnvironment
        : null;
}
