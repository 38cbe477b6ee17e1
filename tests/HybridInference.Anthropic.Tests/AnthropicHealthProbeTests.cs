using System.Diagnostics;
using HybridInference.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Http;
using Microsoft.Extensions.Options;
using Polly.CircuitBreaker;

namespace HybridInference.Anthropic.Tests;

/// <summary>
/// The Anthropic backend's token-free health probe (<c>GET /v1/models?limit=1</c> with <c>x-api-key</c> and
/// <c>anthropic-version</c>), over real HTTP to a loopback server replaying Anthropic's wire format: healthy on the
/// model list, unhealthy with a typed failure (never the key) otherwise; in the chain, a passed probe ends the cloud
/// breaker's break early.
/// </summary>
public sealed class AnthropicHealthProbeTests : IAsyncLifetime
{
    private const string Key = "sk-ant-probe-sentinel-0123456789";
    private LoopbackServer _server = null!;
    private ServiceProvider? _services;

    private static string Fixture(string file) => Path.Combine(AppContext.BaseDirectory, "Fixtures", file);

    public async Task InitializeAsync()
    {
        _server = await LoopbackServer.StartAsync();
        _server.ProbesApart = true;
    }

    public async Task DisposeAsync()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }

        await _server.DisposeAsync();
    }

    private IBackendHealthProbe Probe(Uri? endpoint = null)
    {
        var services = new ServiceCollection();
        services.AddHttpClient();
        services.AddSingleton<IPostConfigureOptions<HttpClientFactoryOptions>, HybridInference.Http.SecretHeaderRedaction>(); // as AddAnthropicProvider does
        _services = services.BuildServiceProvider();
        var backend = new BackendOptions { Name = "claude", Provider = "anthropic", Model = "claude-3-sonnet", ApiKey = Key, Endpoint = endpoint ?? _server.BaseAddress };
        var client = new AnthropicBackendClientFactory().Create(backend, BackendLane.Cloud, _services);
        return client.GetService<IBackendHealthProbe>() ?? throw new InvalidOperationException("The Anthropic backend client offers no health probe.");
    }

    [Fact]
    public async Task Probe_AsksForTheModelList_WithTheKeyAndVersionHeaders_AndIsHealthy_SpendingNoTokens()
    {
        _server.Probes = Respond.File(Fixture("models.json"));

        var result = await Probe().CheckHealthAsync();

        Assert.Equal(HealthStatus.Healthy, result.Status);
        var request = Assert.Single(_server.ProbeRequests);
        Assert.Equal(("GET", "/v1/models"), (request.Method, request.Path.Split('?')[0]));
        Assert.Equal(Key, request.Header("x-api-key"));
        Assert.Equal("2023-06-01", request.Header("anthropic-version"));
        Assert.Null(request.Header("Authorization"));
        Assert.Empty(_server.Requests); // no message was created: the probe costs no tokens
    }

    [Fact]
    public async Task Probe_UnderAPathPrefix_KeepsThePrefix()
    {
        _server.Probes = Respond.File(Fixture("models.json"));

        await Probe(new Uri(_server.BaseAddress, "anthropic")).CheckHealthAsync();

        Assert.StartsWith("/anthropic/v1/models", Assert.Single(_server.ProbeRequests).Path, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("error-authentication.401.json", BackendErrorKind.Unauthorized)]
    [InlineData("error-rate-limited.429.json", BackendErrorKind.RateLimited)]
    [InlineData("error-overloaded.529.json", BackendErrorKind.ServerError)]
    public async Task Probe_AnErrorStatus_IsUnhealthy_WithATypedFailure_AndNeverTheKey(string file, BackendErrorKind kind)
    {
        // The server echoes the key in its error, as a misbehaving proxy might.
        var body = File.ReadAllText(Fixture(file)).Replace("\"}}", $" (key {Key})\"}}}}", StringComparison.Ordinal);
        var status = int.Parse(file.Split('.')[^2], System.Globalization.CultureInfo.InvariantCulture);
        _server.Probes = Respond.Json(body, status);

        var result = await Probe().CheckHealthAsync();

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        var error = Assert.IsType<BackendException>(result.Exception);
        Assert.Equal((kind, (int?)status), (error.Kind, error.StatusCode));
        Assert.Contains($"answered {status} to its health probe", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, result.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Probe_ServerStopped_IsUnhealthy_Unavailable()
    {
        var endpoint = _server.BaseAddress;
        await _server.DisposeAsync();

        var result = await Probe(endpoint).CheckHealthAsync();

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Equal(BackendErrorKind.Unavailable, Assert.IsType<BackendException>(result.Exception).Kind);
        Assert.DoesNotContain(Key, result.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task InTheChain_APassedProbe_EndsTheCloudBreakersTenMinuteBreak_WithinSeconds()
    {
        var json = $$"""
            { "HybridInference": {
                "Routing": { "BreakDuration": "00:10:00", "FailuresBeforeBreak": 3, "OnCloudUnavailable": { "Complex": "Fail" } },
                "Cloud": { "HealthCheckInterval": "00:00:01",
                           "Backends": [ { "Name": "claude", "Provider": "anthropic", "Model": "claude-3-sonnet", "ApiKey": "{{Key}}",
                                           "Endpoint": "{{_server.BaseAddress}}", "AllowInsecureHttp": true } ] },
                "Pricing": { "claude-3-sonnet": { "InputPerMillionTokens": 3, "OutputPerMillionTokens": 15 } } } }
            """;
        var services = new ServiceCollection();
        services.AddHybridInference(JsonSettings.Parse(json).GetSection("HybridInference"))
            .AddLocalBackend("local", _ => new FakeChatClient("local"))
            .AddAnthropicProvider();
        _services = services.BuildServiceProvider();
        var chat = _services.GetRequiredService<IChatClient>();
        var status = _services.GetRequiredService<IHybridInferenceStatus>();
        _server.Probes = Respond.Json("""{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}""", 529);
        _server.Default = Respond.File(Fixture("error-overloaded.529.json"));
        var complex = new ChatOptions().WithTaskCategory(TaskCategory.Complex);
        for (var i = 0; i < 3; i++)
        {
            await Assert.ThrowsAsync<CloudUnavailableException>(() => chat.GetResponseAsync("Analyse this contract.", complex));
        }

        Assert.Equal(CircuitState.Open, status.GetStatus().CloudCircuit);

        // Claude answers again, probes included: the break (ten minutes) ends at the first passed probe, so a request
        // a quarter of a second is answered by Claude within seconds, not ten minutes later.
        _server.Probes = Respond.File(Fixture("models.json"));
        _server.Default = Respond.File(Fixture("message.json"));
        var back = Stopwatch.StartNew();
        string? answer = null;
        while (answer is null && back.Elapsed < TimeSpan.FromSeconds(60))
        {
            try
            {
                answer = (await chat.GetResponseAsync("Analyse this contract.", complex)).Text;
            }
            catch (CloudUnavailableException)
            {
                await Task.Delay(250); // still rejected by the open breaker
            }
        }

        Assert.Equal("Hello! How can I help you today?", answer);
        Assert.True(back.Elapsed < TimeSpan.FromSeconds(60), $"Claude was called again only {back.Elapsed} after it came back");
        Assert.Equal(CircuitState.Closed, status.GetStatus().CloudCircuit);
        Assert.Contains(_server.ProbeRequests, r => r.Path.StartsWith("/v1/models", StringComparison.Ordinal) && r.Header("x-api-key") == Key);
    }
}
