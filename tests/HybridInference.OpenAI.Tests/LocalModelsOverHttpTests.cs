using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace HybridInference.OpenAI.Tests;

/// <summary>
/// Local models by capability over real HTTP: three local servers on 127.0.0.1 (a Q2_K tagger, a Q5_K_M general
/// model, a code model) and a cloud one; a batch shaped like the decision matrix lands each task on the server the
/// README's table says, and each server is only ever sent its own model's name.
/// </summary>
public sealed class LocalModelsOverHttpTests : IAsyncLifetime
{
    private const string ValidPerson = """{"name":"Ada","age":36}""";

    private readonly Dictionary<string, LoopbackServer> _servers = [];
    private ServiceProvider _services = null!;
    private IChatClient _chat = null!;

    public async Task InitializeAsync()
    {
        foreach (var name in new[] { "tagger", "general", "coder", "cloud" })
        {
            var server = _servers[name] = await LoopbackServer.StartAsync();
            server.ProbesApart = true;
            server.Default = Respond.Json(Fixture.Completion("vllm", ValidPerson));
        }

        var json = $$"""
            {
              "HybridInference": {
                "Privacy": { "Topics": { "BuiltIn": [ "health" ] } },
                "Local": { "Backends": [
                  { "Name": "tagger", "Provider": "vllm", "Endpoint": "{{_servers["tagger"].V1}}", "Model": "tagger-q2", "Quantization": "Q2_K", "Capabilities": [ "Classification" ] },
                  { "Name": "general", "Provider": "vllm", "Endpoint": "{{_servers["general"].V1}}", "Model": "general-q5", "Quantization": "Q5_K_M", "Capabilities": [ "Reasoning", "Tools" ] },
                  { "Name": "coder", "Provider": "vllm", "Endpoint": "{{_servers["coder"].V1}}", "Model": "coder-q4", "Quantization": "Q4_K_M", "Capabilities": [ "Code" ] } ] },
                "Cloud": { "Backends": [ { "Name": "cloud", "Provider": "openai", "Endpoint": "{{_servers["cloud"].V1}}", "Model": "gpt-4o", "ApiKey": "sk-test", "AllowInsecureHttp": true } ] }
              }
            }
            """;
        var services = new ServiceCollection();
        services.AddHybridInference(JsonSettings.Parse(json).GetSection("HybridInference")).AddOpenAIProviders();
        _services = services.BuildServiceProvider();
        _chat = _services.GetRequiredService<IChatClient>();
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        foreach (var server in _servers.Values)
        {
            await server.DisposeAsync();
        }
    }

    [Fact]
    public async Task DecisionMatrixBatch_LandsEachTaskOnTheModelTheReadmeTableSays_AndEachServerGetsOnlyItsModel()
    {
        var extraction = new ChatOptions
        {
            ResponseFormat = ChatResponseFormat.ForJsonSchema(JsonDocument.Parse(
                """{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"]}""").RootElement, "person"),
        };
        (string Prompt, ChatOptions? Options, string Server)[] batch =
        [
            ("Classify the sentiment of this review: 'Fast delivery, works as described.'", null, "tagger"),
            ("Tag this support ticket with one of billing, shipping, account.", null, "tagger"),
            ("Debug this stack trace and find the root cause: NullReferenceException at OrderService.Submit.", null, "cloud"),
            ("Summarize the patient's medication and dosage changes since the last visit.", null, "general"),
            ("Write a one-line ad for our sourdough.", null, "general"),
            ("Pull the person out of: 'Ada Lovelace, 36, mathematician.'", extraction, "general"),
            ("Write a Python function that returns the n-th Fibonacci number.", null, "coder"),
        ];

        foreach (var (prompt, options, server) in batch)
        {
            var outcome = (await _chat.GetResponseAsync(prompt, options)).GetRouteOutcome()!;
            Assert.Equal(server, outcome.Backend);
        }

        Assert.Equal(2, _servers["tagger"].Requests.Count);
        Assert.Equal(3, _servers["general"].Requests.Count);
        Assert.Single(_servers["coder"].Requests);
        Assert.Single(_servers["cloud"].Requests);
        foreach (var (server, model) in new[] { ("tagger", "tagger-q2"), ("general", "general-q5"), ("coder", "coder-q4") })
        {
            Assert.All(_servers[server].Requests, request => Assert.Equal(model, JsonDocument.Parse(request.Body).RootElement.GetProperty("model").GetString()));
        }
    }

    [Fact]
    public async Task RequestedModel_IsSentOnlyToItsServer_InItsOwnSpelling()
    {
        var outcome = (await _chat.GetResponseAsync("Classify the sentiment: 'great'.", new ChatOptions { ModelId = "Coder-Q4" })).GetRouteOutcome()!;

        Assert.Equal(("coder", RouteReason.RequestedModel), (outcome.Backend, outcome.DecisionReason));
        Assert.Equal("coder-q4", JsonDocument.Parse(Assert.Single(_servers["coder"].Requests).Body).RootElement.GetProperty("model").GetString());
        Assert.Empty(_servers["tagger"].Requests);
    }
}
