using HybridInference.Scrubbing;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HybridInference.Anthropic;

/// <summary>
/// The token-free health probe of an Anthropic backend: <c>GET /v1/models?limit=1</c> (Anthropic's model list) with the
/// <c>x-api-key</c> and <c>anthropic-version</c> headers, which costs no tokens. A pool probes it every
/// <c>HealthCheckInterval</c>; a pass after cloud failures ends the cloud breaker's break and the outbox's backoff early.
/// </summary>
/// <remarks>The key is sent only as the header; an error's description is the server's words with the key scrubbed.</remarks>
internal sealed class AnthropicHealthProbe : IBackendHealthProbe
{
    /// <summary>The API version the probe asks for (the one Anthropic documents for the Models and Messages APIs).</summary>
    public const string ApiVersion = "2023-06-01";

    private const string ProbePath = "v1/models?limit=1";
    private readonly HttpClient _httpClient;
    private readonly Uri _probe;
    private readonly string _backend;
    private readonly string? _apiKey;
    private readonly ErrorTextScrubber _scrubber;

    public AnthropicHealthProbe(HttpClient httpClient, Uri endpoint, string backend, string? apiKey)
    {
        _httpClient = httpClient;
        var root = endpoint.AbsoluteUri.EndsWith('/') ? endpoint : new Uri(endpoint.AbsoluteUri + "/");
        _probe = new Uri(root, ProbePath);
        _backend = backend;
        _apiKey = apiKey;
        _scrubber = ErrorTextScrubber.For(apiKey);
    }

    public async Task<HealthCheckResult> CheckHealthAsync(CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _probe);
        if (_apiKey is not null)
        {
            request.Headers.TryAddWithoutValidation("x-api-key", _apiKey);
        }

        request.Headers.TryAddWithoutValidation("anthropic-version", ApiVersion);
        try
        {
            using var response = await _httpClient.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            if (response.IsSuccessStatusCode)
            {
                return HealthCheckResult.Healthy($"{_backend}: {status} from {_probe.AbsolutePath}");
            }

            var body = await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false);
            var error = new BackendException(
                AnthropicErrorMappingChatClient.KindOf(response.StatusCode),
                $"Backend '{_backend}' answered {status} to its health probe ({_probe.AbsolutePath}): {_scrubber.Scrub(AnthropicErrorMappingChatClient.ErrorBodyText(body))}",
                status,
                innerException: null);
            return HealthCheckResult.Unhealthy(error.Message, error);
        }
        catch (HttpRequestException ex) when (!cancellationToken.IsCancellationRequested)
        {
            var error = new BackendException(BackendErrorKind.Unavailable, $"Backend '{_backend}' could not be reached by its health probe: {_scrubber.Scrub(ex.Message)}");
            return HealthCheckResult.Unhealthy(error.Message, error);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            var error = new BackendException(BackendErrorKind.Timeout, $"Backend '{_backend}' did not answer its health probe in time.");
            return HealthCheckResult.Unhealthy(error.Message, error);
        }
    }
}
