using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.Routing;

/// <summary>
/// Local models by capability through the DI chain: three local models (a Q2_K tagger, a Q5_K_M general model served by
/// two backends, a code model) and a cloud; a batch shaped like the decision matrix lands each task where the README's
/// table says; a task no local model fits goes to the cloud (or, local-only, to the best local model, saying so); a
/// requested model is mapped or refused; failover stays within a model, then goes to the next-best one.
/// </summary>
public sealed class LocalModelRoutingTests : IDisposable
{
    private const string Json = """
        {
          "HybridInference": {
            "Privacy": { "Topics": { "BuiltIn": [ "health" ] } },
            "Local": {
              "LoadBalancing": "Ordered",
              "Backends": [
                { "Name": "tagger", "Provider": "vllm", "Model": "tagger-q2", "Quantization": "Q2_K", "Capabilities": [ "Classification" ] },
                { "Name": "general", "Provider": "vllm", "Model": "general-q5", "Quantization": "q5_k_m", "Capabilities": [ "Reasoning", "Tools" ] },
                { "Name": "general-2", "Provider": "vllm", "Model": "general-q5", "Quantization": "Q5_K_M", "Capabilities": [ "reasoning", "tools" ] },
                { "Name": "coder", "Provider": "vllm", "Model": "coder-q4", "Quantization": "Q4-K-M", "Capabilities": [ "Code" ] }
              ]
            },
            "Cloud": { "Backends": [ { "Name": "cloud", "Provider": "openai", "Model": "cloud-model" } ] }
          }
        }
        """;

    private static readonly string[] LocalNames = ["tagger", "general", "general-2", "coder"];

    private readonly ServiceProvider _provider;
    private readonly Dictionary<string, FakeChatClient> _backends = [];

    public LocalModelRoutingTests()
    {
        _provider = Build(Json, _backends);
        Chat = _provider.GetRequiredService<IChatClient>();
    }

    private IChatClient Chat { get; }

    private static ServiceProvider Build(string json, Dictionary<string, FakeChatClient> backends)
    {
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(new FakeTimeProvider());
        var builder = services.AddHybridInference(configuration.GetSection("HybridInference"));
        foreach (var name in LocalNames)
        {
            var fake = backends[name] = new FakeChatClient(name) { DefaultReply = _ => """{"name":"Ada","age":36}""" };
            builder.AddLocalBackend(name, _ => fake);
        }

        var cloud = backends["cloud"] = new FakeChatClient("cloud") { DefaultReply = _ => """{"name":"Ada","age":36}""" };
        builder.AddCloudBackend("cloud", _ => cloud);
        return services.BuildServiceProvider();
    }

    public void Dispose() => _provider.Dispose();

    public static TheoryData<string, string, RouteReason> DecisionMatrix => new()
    {
        // High-volume text classification: local, on the low-bit tagger.
        { "classification", "tagger", RouteReason.Default },
        { "tagging", "tagger", RouteReason.Default },

        // Multi-step debugging or legal analysis: cloud.
        { "debugging", "cloud", RouteReason.Category },
        { "legal-analysis", "cloud", RouteReason.Category },

        // Real-time chat: local, on the general model (not the tagger: a chat is not tagging).
        { "chat", "general", RouteReason.Default },

        // Enterprise data processing (healthcare): local-only (Privacy:Topics health), on a Q4_K_M-or-better model.
        { "healthcare", "general", RouteReason.LocalOnly },

        // Creative writing drafts: local first pass, on the general model.
        { "creative", "general", RouteReason.Default },

        // Structured extraction: reasoning, Q4_K_M or better; the general model declares Reasoning.
        { "extraction", "general", RouteReason.JsonRequired },

        // Code: the code model.
        { "code", "coder", RouteReason.Default },

        // An agent turn: tools offered, a Tools-capable local model configured: local, not Complex.
        { "agent", "general", RouteReason.Default },
    };

    private static (List<ChatMessage> Messages, ChatOptions Options) Task(string kind)
    {
        var options = new ChatOptions();
        List<ChatMessage> messages = kind switch
        {
            "classification" => [new(ChatRole.User, "Classify the sentiment of this review: 'Fast delivery, works as described.'")],
            "tagging" => [new(ChatRole.User, "Tag this support ticket with one of billing, shipping, account.")],
            "debugging" => [new(ChatRole.User, "Debug this stack trace and find the root cause: NullReferenceException at OrderService.Submit.")],
            "legal-analysis" => [new(ChatRole.User, "Give a legal analysis of the indemnity clause in this supplier contract.")],
            "chat" =>
            [
                new(ChatRole.System, "You are the support assistant of a parcel carrier."),
                new(ChatRole.User, "Where is parcel 1042?"),
                new(ChatRole.Assistant, "On van 3 for tomorrow."),
                new(ChatRole.User, "And when does it arrive?"),
            ],
            "healthcare" => [new(ChatRole.User, "Summarize the patient's medication and dosage changes since the last visit.")],
            "creative" => [new(ChatRole.User, "Write a one-line ad for our sourdough.")],
            "extraction" => [new(ChatRole.User, "Pull the person out of: 'Ada Lovelace, 36, mathematician.'")],
            "code" => [new(ChatRole.User, "Write a C# function that reverses a string.")],
            "agent" => [new(ChatRole.User, "What is the weather in Paris tomorrow?")],
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        if (kind == "extraction")
        {
            options.ResponseFormat = ChatResponseFormat.ForJsonSchema(JsonDocument.Parse(
                """{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"]}""").RootElement, "person");
        }

        if (kind == "agent")
        {
            options.Tools = [AIFunctionFactory.Create(() => "sunny", "weather")];
        }

        return (messages, options);
    }

    [Theory]
    [MemberData(nameof(DecisionMatrix))]
    public async Task DecisionMatrixTask_LandsOnTheModelTheReadmeTableSays(string kind, string backend, RouteReason reason)
    {
        var (messages, options) = Task(kind);

        var outcome = (await Chat.GetResponseAsync(messages, options)).GetRouteOutcome()!;

        Assert.Equal((backend, reason), (outcome.Backend, outcome.DecisionReason));
        Assert.False(outcome.NoCapableLocalModel);
        foreach (var (name, fake) in _backends)
        {
            Assert.Equal(name == backend ? 1 : 0, fake.RequestCount);
        }
    }

    [Fact]
    public async Task DecisionMatrixBatch_Streamed_LandsEachTaskWhereThePlainCallDoes()
    {
        foreach (var row in DecisionMatrix)
        {
            var (messages, options) = Task((string)row[0]);
            var outcome = (await Chat.GetStreamingResponseAsync(messages, options).ToChatResponseAsync()).GetRouteOutcome()!;
            Assert.Equal(((string)row[1], (RouteReason)row[2]), (outcome.Backend, outcome.DecisionReason));
        }
    }

    [Fact]
    public async Task TaskNoLocalModelFits_GoesToTheCloud_WithNoCapableLocalModel()
    {
        var messages = new List<ChatMessage> { new(ChatRole.User, [new TextContent("What is in this picture?"), new DataContent(new byte[] { 1, 2, 3 }, "image/png")]) };

        var outcome = (await Chat.GetResponseAsync(messages)).GetRouteOutcome()!;

        Assert.Equal(("cloud", RouteReason.NoCapableLocalModel, EscalationReason.NoCapableLocalModel), (outcome.Backend, outcome.DecisionReason, outcome.EscalationReason));
        Assert.Equal(ModelCapabilities.Vision, outcome.RequiredCapabilities);
        Assert.All(LocalNames, name => Assert.Equal(0, _backends[name].RequestCount));
    }

    [Fact]
    public async Task ComplexTask_TheCloudFailing_DegradesToTheBestSuitedLocalModel_NotTheFirstBackend()
    {
        // Legal analysis is Complex (cloud) and needs reasoning: when the cloud fails it is answered locally
        // (Routing:OnCloudUnavailable), on the Q5_K_M general model, not on the Q2_K tagger the ordered pool lists first.
        _backends["cloud"].Throw(new BackendException(BackendErrorKind.ServerError, "Backend 'cloud' answered 503 (server error).", statusCode: 503));
        var (messages, options) = Task("legal-analysis");

        var outcome = (await Chat.GetResponseAsync(messages, options)).GetRouteOutcome()!;

        Assert.Equal(("general", RouteReason.CloudUnavailable), (outcome.Backend, outcome.DecisionReason));
        Assert.Equal(0, _backends["tagger"].RequestCount);
    }

    [Fact]
    public async Task TaskNoLocalModelFits_LocalOnly_RunsOnTheBestLocalModel_AndTheOutcomeSaysSo()
    {
        var messages = new List<ChatMessage> { new(ChatRole.User, [new TextContent("What is in this picture?"), new DataContent(new byte[] { 1, 2, 3 }, "image/png")]) };

        var outcome = (await Chat.GetResponseAsync(messages, new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly))).GetRouteOutcome()!;

        Assert.Equal(("general", RouteReason.Default, true), (outcome.Backend, outcome.DecisionReason, outcome.NoCapableLocalModel));
        Assert.Equal(0, _backends["cloud"].RequestCount);
    }

    [Fact]
    public async Task RequestedLocalModel_DecidesTheModel_AndIsSentInTheBackendsSpelling()
    {
        var response = await Chat.GetResponseAsync(User("Classify the sentiment: 'great'."), new ChatOptions { ModelId = "CODER-Q4" });

        var outcome = response.GetRouteOutcome()!;
        Assert.Equal(("coder", RouteReason.RequestedModel), (outcome.Backend, outcome.DecisionReason));
        Assert.Equal("coder-q4", Assert.Single(_backends["coder"].Requests).Options!.ModelId);
        Assert.Equal(0, _backends["tagger"].RequestCount);
    }

    [Fact]
    public async Task RequestedCloudModel_GoesToTheCloud_ButNeverForALocalOnlyRequest()
    {
        var outcome = (await Chat.GetResponseAsync(User("Write a one-line ad."), new ChatOptions { ModelId = "cloud-model" })).GetRouteOutcome()!;
        Assert.Equal(("cloud", RouteReason.RequestedModel, EscalationReason.None), (outcome.Backend, outcome.DecisionReason, outcome.EscalationReason));

        var refused = await Assert.ThrowsAsync<ModelNotServedException>(() =>
            Chat.GetResponseAsync(User("Write a one-line ad."), new ChatOptions { ModelId = "cloud-model" }.WithDataPolicy(DataPolicy.LocalOnly)));
        Assert.Contains("local-only", refused.Message, StringComparison.Ordinal);
        Assert.Equal(1, _backends["cloud"].RequestCount);
    }

    [Fact]
    public async Task RequestedModelNoBackendServes_IsRefused_NamingTheModelsServed_AndNothingIsSent()
    {
        var refused = await Assert.ThrowsAsync<ModelNotServedException>(() => Chat.GetResponseAsync(User("Hello"), new ChatOptions { ModelId = "gpt-5" }));

        Assert.Equal("gpt-5", refused.RequestedModel);
        Assert.Contains("'general-q5' (local)", refused.Message, StringComparison.Ordinal);
        Assert.All(_backends.Values, fake => Assert.Equal(0, fake.RequestCount));
    }

    [Fact]
    public async Task BackendOfAnotherModel_RefusesTheRequestedModel_BeforeSendingAnything()
    {
        using var backend = Pools.TestBackends.Create(new FakeChatClient("model-a") { DefaultReply = _ => "x" }, "model-a", new FakeTimeProvider());

        await Assert.ThrowsAsync<ModelNotServedException>(() => backend.GetResponseAsync(User("Hi"), new ChatOptions { ModelId = "model-b" }));
        await Assert.ThrowsAsync<ModelNotServedException>(() => backend.GetStreamingResponseAsync(User("Hi"), new ChatOptions { ModelId = "model-b" }).ToChatResponseAsync());
        Assert.Equal("x", (await backend.GetResponseAsync(User("Hi"), new ChatOptions { ModelId = "model-a" })).Text);
    }

    [Fact]
    public async Task Failover_StaysWithinTheModel_ThenGoesToTheNextBestModel()
    {
        _backends["general"].Throw(new BackendException(BackendErrorKind.Unavailable, "down"));
        var (messages, options) = Task("chat");

        var first = (await Chat.GetResponseAsync(messages, options)).GetRouteOutcome()!;
        Assert.Equal(("general-2", 2), (first.Backend, first.Attempts)); // The same model's other backend.

        _backends["general"].Throw(new BackendException(BackendErrorKind.Unavailable, "down"));
        _backends["general-2"].Throw(new BackendException(BackendErrorKind.Unavailable, "down"));
        var second = (await Chat.GetResponseAsync(messages, options)).GetRouteOutcome()!;

        // Then the next-best model for a chat: the Q4_K_M code model before the Q2_K tagger; never the cloud first.
        Assert.Equal(("coder", BackendLane.Local), (second.Backend, second.Target));
        Assert.Equal(0, _backends["tagger"].RequestCount);
        Assert.Equal(0, _backends["cloud"].RequestCount);
    }

    [Fact]
    public void UnknownQuantization_StopsTheStart_NamingTheKey()
    {
        var json = Json.Replace("\"Quantization\": \"Q2_K\"", "\"Quantization\": \"Q9_X\"", StringComparison.Ordinal);
        using var provider = Build(json, []);

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IChatClient>());

        Assert.Contains("HybridInference:Local:Backends:0:Quantization is not a quantization", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("Q9_X", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HistorySummary_IsWrittenByAQ4KMOrBetterModel_NotTheTaggerTheTaskGoesTo()
    {
        var json = Json.Replace("\"LoadBalancing\": \"Ordered\",", "\"LoadBalancing\": \"Ordered\", \"History\": { \"Mode\": \"Summarize\" },", StringComparison.Ordinal)
            .Replace("\"Privacy\":", "\"Routing\": { \"LocalContextLimit\": 2048, \"DefaultOutputTokens\": 256 }, \"Privacy\":", StringComparison.Ordinal);
        var backends = new Dictionary<string, FakeChatClient>();
        using var provider = Build(json, backends);
        var messages = new List<ChatMessage>();
        for (var turn = 0; turn < 60; turn++)
        {
            messages.Add(new ChatMessage(ChatRole.User, $"Parcel {1000 + turn} was scanned at depot {turn % 7} on day {turn % 28}; is it on the van for tomorrow?"));
            messages.Add(new ChatMessage(ChatRole.Assistant, $"Parcel {1000 + turn} is on van {turn % 11}; its window is {8 + (turn % 9)}:00 to {10 + (turn % 9)}:00."));
        }

        messages.Add(new ChatMessage(ChatRole.User, "Tag this conversation with one of billing, shipping, account."));

        var outcome = (await provider.GetRequiredService<IChatClient>().GetResponseAsync(messages)).GetRouteOutcome()!;

        Assert.Equal("tagger", outcome.Backend);
        Assert.True(outcome.History is { Summarized: true });
        Assert.Equal(1, backends["tagger"].RequestCount);
        Assert.Equal(outcome.History!.SummaryCalls, backends["general"].RequestCount);
        Assert.Equal(0, backends["coder"].RequestCount);
    }

    [Fact]
    public void UnknownCapability_StopsTheStart_NamingTheKey()
    {
        var json = Json.Replace("[ \"Classification\" ]", "[ \"Telepathy\" ]", StringComparison.Ordinal);
        using var provider = Build(json, []);

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IChatClient>());

        Assert.Contains("HybridInference:Local:Backends:0:Capabilities:0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ToolsOffered_NoToolsCapableLocalModel_AreComplexAsToday()
    {
        using var provider = Build(Json.Replace("\"Reasoning\", \"Tools\"", "\"Reasoning\"", StringComparison.Ordinal).Replace("\"reasoning\", \"tools\"", "\"reasoning\"", StringComparison.Ordinal), []);
        var (messages, options) = Task("agent");

        var outcome = (await provider.GetRequiredService<IChatClient>().GetResponseAsync(messages, options)).GetRouteOutcome()!;

        Assert.Equal(("cloud", RouteReason.Category, TaskCategory.Complex), (outcome.Backend, outcome.DecisionReason, outcome.Category));
    }
}
