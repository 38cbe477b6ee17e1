using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Polly.CircuitBreaker;

namespace HybridInference.OpenAI.Tests;

/// <summary>The whole chain from AddHybridInference(configuration), over real HTTP to a local and a cloud server on 127.0.0.1.</summary>
public sealed class ChainOverHttpTests : IAsyncLifetime
{
    private const string ValidPerson = """{"name":"Ada","age":36}""";

    private static readonly JsonElement PersonSchema = JsonDocument.Parse(
        """{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"]}""").RootElement;

    private LoopbackServer _local = null!;
    private LoopbackServer _cloud = null!;
    private ServiceProvider _services = null!;
    private IChatClient _chat = null!;

    public async Task InitializeAsync()
    {
        _local = await LoopbackServer.StartAsync();
        _local.ProbesApart = true; // the chain probes it from the moment it is built
        _cloud = await LoopbackServer.StartAsync();
        _cloud.ProbesApart = true;
        var json = $$"""
            {
              "HybridInference": {
                "Local": { "Backends": [ { "Name": "vllm", "Provider": "vllm", "Endpoint": "{{_local.V1}}", "Model": "Qwen/Qwen2.5-7B-Instruct", "ContextWindow": 8192 } ] },
                "Cloud": { "Backends": [ { "Name": "openai", "Provider": "openai", "Endpoint": "{{_cloud.V1}}", "Model": "gpt-4o", "ApiKey": "sk-test", "AllowInsecureHttp": true } ] },
                "Pricing": { "gpt-4o": { "InputPerMillionTokens": 2.5, "OutputPerMillionTokens": 10 } }
              }
            }
            """;
        var configuration = JsonSettings.Parse(json);
        var services = new ServiceCollection();
        services.AddHybridInference(configuration.GetSection("HybridInference")).AddOpenAIProviders();
        _services = services.BuildServiceProvider();
        _chat = _services.GetRequiredService<IChatClient>();
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _local.DisposeAsync();
        await _cloud.DisposeAsync();
    }

    private static string Completion(string content) => Fixture.Completion("vllm", content);

    [Fact]
    public async Task Routine_GoesToTheLocalServer()
    {
        _local.Enqueue(Respond.File(Fixture.Path("vllm", "chat-completion.json")));

        var response = await _chat.GetResponseAsync("Summarize: the meeting moved to Thursday.");

        Assert.Equal("Hello! How can I help you today?", response.Text);
        Assert.Equal(("vllm", BackendLane.Local), (response.GetRouteOutcome()!.Backend, response.GetRouteOutcome()!.Target));
        Assert.Single(_local.Requests);
        Assert.Empty(_cloud.Requests);
    }

    [Fact]
    public async Task Complex_GoesToTheCloudServer_WithTheKey()
    {
        _cloud.Enqueue(Respond.File(Fixture.Path("openai", "chat-completion.json")));

        var response = await _chat.GetResponseAsync("Find the root cause of this deadlock step by step.");

        var outcome = response.GetRouteOutcome()!;
        Assert.Equal(("openai", EscalationReason.Category), (outcome.Backend, outcome.EscalationReason));
        Assert.True(outcome.CostUsd > 0);
        Assert.Equal("Bearer sk-test", Assert.Single(_cloud.Requests).Header("Authorization"));
        Assert.Empty(_local.Requests);
    }

    [Fact]
    public async Task BadLocalJson_RetriedWithTheSchema_ThenEscalated()
    {
        _local.Enqueue(Respond.Json(Completion("Sure! {\"name\": \"Ada\"")));
        _local.Enqueue(Respond.Json(Completion("{\"name\": \"Ada\"}")));
        _cloud.Enqueue(Respond.Json(Completion(ValidPerson)));

        var response = await _chat.GetResponseAsync("Extract the person.", new ChatOptions { ResponseFormat = ChatResponseFormat.ForJsonSchema(PersonSchema, "person") });

        Assert.Equal(ValidPerson, response.Text);
        var outcome = response.GetRouteOutcome()!;
        Assert.Equal((BackendLane.Cloud, EscalationReason.ValidationFailed, 2, 3), (outcome.Target, outcome.EscalationReason, outcome.ValidationFailures, outcome.Attempts));
        Assert.All(_local.Requests, r => Assert.Contains("\"json_schema\"", r.Body));
        Assert.Contains("age", JsonDocument.Parse(_local.Requests[1].Body).RootElement.GetProperty("messages").EnumerateArray().Last().GetProperty("content").GetString());
        var cloudMessages = JsonDocument.Parse(Assert.Single(_cloud.Requests).Body).RootElement.GetProperty("messages");
        Assert.Equal(1, cloudMessages.GetArrayLength());
    }

    [Fact]
    public async Task LocalServerDown_EscalatesUntilTheBreakerOpens_ThenCloudOnly()
    {
        _local.Default = Respond.File(Fixture.Path("llamacpp", "error-loading-model.503.json"));
        _cloud.Default = Respond.File(Fixture.Path("openai", "chat-completion.json"));

        for (var i = 0; i < 25; i++)
        {
            var response = await _chat.GetResponseAsync("Summarize this.");
            Assert.Equal(BackendLane.Cloud, response.GetRouteOutcome()!.Target);
        }

        Assert.Equal(CircuitState.Open, _chat.GetService<CircuitBreakerStateProvider>()!.CircuitState);
        Assert.Equal(5, _local.Requests.Count); // Routing:FailuresBeforeBreak failures in a row; after that the local server is left alone.
        Assert.Equal(25, _cloud.Requests.Count);
    }

    [Fact]
    public async Task LocalOnly_WithTheLocalServerDown_TypedErrorAndTheCloudReceivesNothing()
    {
        _local.Default = Respond.File(Fixture.Path("ollama", "error-server-busy.503.json"));

        var error = await Assert.ThrowsAsync<LocalBackendUnavailableException>(
            () => _chat.GetResponseAsync("Summarize this patient record.", new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly)));

        Assert.IsType<BackendException>(error.InnerException);
        Assert.Empty(_cloud.Requests);
    }

    [Fact]
    public async Task LocalContextRejection_EscalatesWithoutHurtingLocalHealth()
    {
        _local.Default = Respond.File(Fixture.Path("vllm", "error-context-length-exceeded.400.json"));
        _cloud.Default = Respond.File(Fixture.Path("openai", "chat-completion.json"));

        for (var i = 0; i < 25; i++)
        {
            var response = await _chat.GetResponseAsync("Summarize this.");
            Assert.Equal(EscalationReason.ContextLimit, response.GetRouteOutcome()!.EscalationReason);
        }

        Assert.Equal(CircuitState.Closed, _chat.GetService<CircuitBreakerStateProvider>()!.CircuitState);
    }

    [Fact]
    public async Task Streaming_ThroughTheChain_OverHttp()
    {
        _local.Enqueue(Respond.File(Fixture.Path("llamacpp", "chat-completion-stream.sse")));

        var text = new StringBuilder();
        RouteOutcome? outcome = null;
        await foreach (var update in _chat.GetStreamingResponseAsync("Say hello"))
        {
            text.Append(update.Text);
            outcome ??= update.GetRouteOutcome();
        }

        Assert.Equal("Hello! How can I help you today?", text.ToString());
        Assert.Equal((12L, 9L), (outcome!.InputTokens, outcome.OutputTokens));
    }
}
