using HybridInference.OpenAI.Dialects;
using HybridInference.OpenAI.Wire;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HybridInference.OpenAI;

/// <summary>The token-free calls: the health probe with what the server reports of itself (load, context window), and the model list.</summary>
public sealed partial class OpenAICompatibleChatClient
{
    /// <summary>
    /// Asks the server whether it is ready, on its dialect's cheap probe (vLLM, llama.cpp, TGI <c>/health</c>; Ollama
    /// <c>/api/tags</c>; LocalAI <c>/readyz</c>; others <c>/v1/models</c>). Costs no tokens. Where the server reports
    /// its load, a healthy result carries it: vLLM's waiting requests from <c>/metrics</c>
    /// (<see cref="HealthProbeData.QueueDepth"/>), llama.cpp's busy slots from <c>/slots</c>
    /// (<see cref="HealthProbeData.BusySlots"/>). Where it reports its context window for one request, the result
    /// carries that too (<see cref="HealthProbeData.ContextWindow"/>): llama.cpp's slot <c>n_ctx</c> (from <c>/slots</c>,
    /// else <c>/props</c>), vLLM's <c>max_model_len</c> (<c>/v1/models</c>), TGI's <c>max_total_tokens</c> (<c>/info</c>).
    /// The window's page is read until it gives one, and again after the server was found unready (it may have
    /// restarted with other settings); llama.cpp's slots are read on every probe anyway.
    /// </summary>
    /// <param name="cancellationToken">Cancels the probe.</param>
    /// <returns>
    /// Healthy on a 2xx answer, and on a 404 (the server is up but has no such probe path); unhealthy with the reason
    /// otherwise (a loading model, a refused connection, ...).
    /// </returns>
    public async Task<HealthCheckResult> CheckHealthAsync(CancellationToken cancellationToken = default)
    {
        var probe = new Uri(ServerDialects.ServerRoot(Endpoint), _dialect.HealthPath);
        try
        {
            using var response = await SendProbeAsync(_dialect.HealthPath, cancellationToken).ConfigureAwait(false);
            if (response.IsSuccessStatusCode)
            {
                var description = $"{Name}: {(int)response.StatusCode} from {probe.AbsolutePath}";
                var reports = await ReadReportsAsync(cancellationToken).ConfigureAwait(false);
                return reports is null ? HealthCheckResult.Healthy(description) : HealthCheckResult.Healthy(description, reports);
            }

            _contextWindow = 0;
            if (response.StatusCode == System.Net.HttpStatusCode.NotFound)
            {
                // The server answered, so it is up; it only lacks this dialect's probe path (a generic server under
                // a specific provider name). Ejecting it for that would take a working backend out of service.
                return HealthCheckResult.Healthy($"{Name}: reachable, but {probe.AbsolutePath} answered 404 (no health endpoint)");
            }

            var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            var error = BackendErrors.FromResponse(Name, (int)response.StatusCode, null, new BinaryData(body), _apiKey);
            return HealthCheckResult.Unhealthy(error.Message, error);
        }
        catch (Exception ex) when (BackendErrors.IsTransport(ex) && !cancellationToken.IsCancellationRequested)
        {
            _contextWindow = 0;
            var failure = BackendErrors.FromTransport(Name, ex, midStream: false, _apiKey, _timeoutText);
            return HealthCheckResult.Unhealthy(failure.Message, failure);
        }
    }

    /// <summary>
    /// Reads what the server reports of itself, where its dialect has a page for it: the load (vLLM's waiting requests,
    /// llama.cpp's busy slots) and the context window. Null when it reports nothing, or the pages are off, unreadable
    /// or not in the expected shape: these are hints for balancing and routing, never a reason to call a server unhealthy.
    /// </summary>
    private async Task<Dictionary<string, object>?> ReadReportsAsync(CancellationToken cancellationToken)
    {
        Dictionary<string, object>? reports = null;
        if (_dialect.QueueMetricsPath is { } metrics)
        {
            if (await ReadPageAsync(metrics, cancellationToken).ConfigureAwait(false) is { } text && PrometheusText.SumGauge(text, "vllm:num_requests_waiting") is { } waiting)
            {
                (reports ??= [])[HealthProbeData.QueueDepth] = waiting;
            }
        }
        else if (_dialect.SlotsPath is { } slots && await ReadPageAsync(slots, cancellationToken).ConfigureAwait(false) is { } page)
        {
            var (busy, window) = SlotsReader.Read(page);
            if (busy is { } count)
            {
                (reports ??= [])[HealthProbeData.BusySlots] = count;
            }

            _contextWindow = window ?? _contextWindow;
        }

        if (_contextWindow == 0 && _dialect.ContextWindowPage is { } windowPage
            && await ReadPageAsync(windowPage.Path, cancellationToken).ConfigureAwait(false) is { } body && windowPage.Read(body, _model) is { } reported)
        {
            _contextWindow = reported;
        }

        if (_contextWindow > 0)
        {
            (reports ??= [])[HealthProbeData.ContextWindow] = _contextWindow;
        }

        return reports;
    }

    /// <summary>Reads a page the server reports on; null when it answers with an error or cannot be reached.</summary>
    private async Task<string?> ReadPageAsync(string path, CancellationToken cancellationToken)
    {
        try
        {
            using var response = await SendProbeAsync(path, cancellationToken).ConfigureAwait(false);
            return response.IsSuccessStatusCode ? await response.Content.ReadAsStringAsync(cancellationToken).ConfigureAwait(false) : null;
        }
        catch (Exception ex) when (BackendErrors.IsTransport(ex) && !cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    /// <summary>Sends a token-free GET to a path under the server root, with the backend's key when it has one (llama.cpp guards /slots with it).</summary>
    private async Task<HttpResponseMessage> SendProbeAsync(string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(ServerDialects.ServerRoot(Endpoint), path));
        if (_apiKey is not null)
        {
            request.Headers.Authorization = new("Bearer", _apiKey);
        }

        return await _httpClient.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Lists the models the server serves (<c>GET /v1/models</c>); an empty list when it serves none.</summary>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The model ids.</returns>
    /// <exception cref="BackendException">The server could not be reached or answered with an error.</exception>
    public async Task<IReadOnlyList<string>> ListModelsAsync(CancellationToken cancellationToken = default)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(ServerDialects.ServerRoot(Endpoint), "v1/models"));
        if (_apiKey is not null)
        {
            request.Headers.Authorization = new("Bearer", _apiKey);
        }

        HttpResponseMessage response;
        try
        {
            response = await _httpClient.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (BackendErrors.IsTransport(ex) && !cancellationToken.IsCancellationRequested)
        {
            throw BackendErrors.FromTransport(Name, ex, midStream: false, _apiKey, _timeoutText);
        }

        using (response)
        {
            var body = new BinaryData(await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false));
            if (!response.IsSuccessStatusCode)
            {
                throw BackendErrors.FromResponse(Name, (int)response.StatusCode, null, body, _apiKey);
            }

            return ModelListReader.Read(body, Name);
        }
    }
}
