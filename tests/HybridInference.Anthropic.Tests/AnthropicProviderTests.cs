using System.Text;
using System.Text.Json;
using HybridInference.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HybridInference.Anthropic.Tests;

/// <summary>Provider "anthropic" over real HTTP to a loopback server speaking the Messages API.</summary>
public sealed class AnthropicProviderTests : IAsyncLifetime
{
    private const string Key = "sk-ant-sentinel-42";
    private LoopbackServer _server = null!;
    private ServiceProvider _services = null!;
    private IChatClient _chat = null!;
    private FakeChatClient _local = null!;

    private static string Fixture(string file) => Path.Combine(AppContext.BaseDirectory, "Fixtures", file);

    public async Task InitializeAsync()
    {
        _server = await LoopbackServer.StartAsync();
        _server.ProbesApart = true; // the backend's health probe (GET /v1/models) is answered apart from the messages
        _server.Probes = Respond.File(Path.Combine(AppContext.BaseDirectory, "Fixtures", "models.json"));
        var json = $$"""
            { "HybridInference": {
                "Routing": { "OnCloudUnavailable": { "Complex": "Fail" } },
                "Cloud": { "Backends": [ { "Name": "claude", "Provider": "anthropic", "Model": "claude-3-sonnet", "ApiKey": "{{Key}}",
                                           "Endpoint": "{{_server.BaseAddress}}", "AllowInsecureHttp": true } ] },
                "Pricing": { "claude-3-sonnet": { "InputPerMillionTokens": 3, "OutputPerMillionTokens": 15 } } } }
            """;
        var configuration = JsonSettings.Parse(json);
        _local = new FakeChatClient("local");
        var services = new ServiceCollection();
        services.AddHybridInference(configuration.GetSection("HybridInference"))
            .AddLocalBackend("local", _ => _local)
            .AddAnthropicProvider();
        _services = services.BuildServiceProvider();
        _chat = _services.GetRequiredService<IChatClient>();
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _server.DisposeAsync();
    }

    private static ChatOptions Complex() => new ChatOptions().WithTaskCategory(TaskCategory.Complex);

    [Fact]
    public async Task Complex_GoesToClaude_WithTheKey()
    {
        _server.Enqueue(Respond.File(Fixture("message.json")));

        var response = await _chat.GetResponseAsync("Analyse this contract.", Complex());

        Assert.Equal("Hello! How can I help you today?", response.Text);
        var outcome = response.GetRouteOutcome()!;
        Assert.Equal(("claude", 12L, 9L), (outcome.Backend, outcome.InputTokens, outcome.OutputTokens));
        Assert.Equal((12 * 3 + 9 * 15) / 1_000_000.0, outcome.CostUsd, 12);
        var request = Assert.Single(_server.Requests);
        // The official SDK (13.x) sends the key as a bearer token.
        Assert.Equal(("POST", "/v1/messages", $"Bearer {Key}"), (request.Method, request.Path, request.Header("Authorization")));
        var body = JsonDocument.Parse(request.Body).RootElement;
        Assert.Equal("claude-3-sonnet", body.GetProperty("model").GetString());
        Assert.Empty(_local.Requests);
    }

    [Fact]
    public async Task Streaming_ThroughTheChain()
    {
        _server.Enqueue(Respond.File(Fixture("message-stream.sse")));

        var text = new StringBuilder();
        await foreach (var update in _chat.GetStreamingResponseAsync("Analyse this contract.", Complex()))
        {
            text.Append(update.Text);
        }

        Assert.Equal("Hello! How can I help you today?", text.ToString());
    }

    [Fact]
    public async Task PromptTooLong_IsContextWindowExceeded()
    {
        _server.Default = Respond.File(Fixture("error-prompt-too-long.400.json"));

        await Assert.ThrowsAsync<ContextWindowExceededException>(() => _chat.GetResponseAsync("Analyse this contract.", Complex()));
    }

    [Theory]
    [InlineData("error-rate-limited.429.json", BackendErrorKind.RateLimited)]
    [InlineData("error-overloaded.529.json", BackendErrorKind.ServerError)]
    public async Task Errors_AreBackendExceptions_WithoutTheKey(string file, BackendErrorKind kind)
    {
        _server.Default = Respond.File(Fixture(file));

        // Complex work is set to fail rather than degrade (Routing:OnCloudUnavailable:Complex): Claude's error comes inside.
        var unavailable = await Assert.ThrowsAsync<CloudUnavailableException>(() => _chat.GetResponseAsync("Analyse this contract.", Complex()));
        var error = Assert.IsType<BackendException>(unavailable.InnerException);

        Assert.Equal(kind, error.Kind);
        Assert.DoesNotContain(Key, unavailable.ToString());
        Assert.Single(_server.Requests); // The SDK's retries are off: the chain decides what follows.
    }

    [Fact]
    public async Task Key_IsRedactedFromTheHttpClientHeaderLogs_WhenTheAppNamesItsOwnSensitiveHeaders()
    {
        // Since .NET 9 IHttpClientFactory redacts every header value by default, but an app that names its own
        // sensitive headers for all clients turns that off: Claude's client must still hide its key.
        var json = $$"""
            { "HybridInference": { "Cloud": { "Backends": [ { "Name": "claude", "Provider": "anthropic", "Model": "claude-3-sonnet", "ApiKey": "{{Key}}",
                                                              "Endpoint": "{{_server.BaseAddress}}", "AllowInsecureHttp": true } ] } } }
            """;
        var logs = new FakeLoggerProvider();
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(logs));
        services.ConfigureHttpClientDefaults(http => http.RedactLoggedHeaders(["X-Request-Secret"]));
        services.AddHybridInference(JsonSettings.Parse(json).GetSection("HybridInference"))
            .AddLocalBackend("local", _ => new FakeChatClient())
            .AddAnthropicProvider();
        await using var provider = services.BuildServiceProvider();
        _server.Enqueue(Respond.File(Fixture("message.json")));

        await provider.GetRequiredService<IChatClient>().GetResponseAsync("Analyse this contract.", Complex());

        Assert.Equal($"Bearer {Key}", Assert.Single(_server.Requests).Header("Authorization"));
        Assert.Contains(logs.Lines, l => l.Contains("Request Headers", StringComparison.Ordinal) && l.Contains("Authorization: *", StringComparison.Ordinal));
        Assert.DoesNotContain(logs.Lines, l => l.Contains(Key, StringComparison.Ordinal));
    }

    [Fact]
    public void MissingKeyAndModel_AndPlainHttp_StopStartUp()
    {
        const string Json = """
            { "HybridInference": { "Cloud": { "Backends": [ { "Name": "claude", "Provider": "anthropic", "Endpoint": "http://api.example.invalid" } ] } } }
            """;
        var configuration = JsonSettings.Parse(Json);
        var services = new ServiceCollection();
        services.AddHybridInference(configuration.GetSection("HybridInference")).AddLocalBackend("local", _ => new FakeChatClient()).AddAnthropicProvider();
        using var provider = services.BuildServiceProvider();

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains(error.Failures, f => f.Contains("HybridInference:Cloud:Backends:0:Model is required", StringComparison.Ordinal));
        Assert.Contains(error.Failures, f => f.Contains("is plain http://", StringComparison.Ordinal));
        if (Environment.GetEnvironmentVariable("ANTHROPIC_API_KEY") is null)
        {
            Assert.Contains(error.Failures, f => f.Contains("HybridInference:Cloud:Backends:0:ApiKey is missing", StringComparison.Ordinal));
        }
    }
}
