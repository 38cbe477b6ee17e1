using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace HybridInference.OpenAI.Tests;

/// <summary>
/// Bad input through the whole chain over HTTP: each gets a typed error that names the problem, nothing is sent that
/// should not be, and the next good request is answered as usual. (Configuration mistakes are covered where the
/// options are: unknown provider, malformed endpoint, missing key, limits, duplicate names.)
/// </summary>
public sealed class BadInputTests : IAsyncLifetime
{
    private static readonly JsonElement PersonSchema = JsonDocument.Parse(
        """{"type":"object","properties":{"name":{"type":"string"},"age":{"type":"integer"}},"required":["name","age"]}""").RootElement;

    private LoopbackServer _local = null!;
    private LoopbackServer _cloud = null!;
    private ServiceProvider? _services;

    public async Task InitializeAsync()
    {
        _local = await LoopbackServer.StartAsync();
        _cloud = await LoopbackServer.StartAsync();
        _local.Default = Respond.Json(Fixture.Read("vllm", "chat-completion.json"));
        _cloud.Default = Respond.Json(Fixture.Read("openai", "chat-completion.json"));
    }

    public async Task DisposeAsync()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }

        await _local.DisposeAsync();
        await _cloud.DisposeAsync();
    }

    private IChatClient Build(string localProvider = "vllm")
    {
        var json = $$"""
            {
              "HybridInference": {
                "Local": { "Backends": [ { "Name": "local", "Provider": "{{localProvider}}", "Endpoint": "{{_local.V1}}", "Model": "m", "ContextWindow": 8192 } ] },
                "Cloud": { "Backends": [ { "Name": "openai", "Provider": "openai", "Endpoint": "{{_cloud.V1}}", "Model": "gpt-4o", "ApiKey": "sk-test", "AllowInsecureHttp": true, "ContextWindow": 128000 } ] }
              }
            }
            """;
        var configuration = JsonSettings.Parse(json);
        var services = new ServiceCollection();
        services.AddHybridInference(configuration.GetSection("HybridInference")).AddOpenAIProviders();
        _services = services.BuildServiceProvider();
        return _services.GetRequiredService<IChatClient>();
    }

    private static async Task StillAnswersAsync(IChatClient chat) =>
        Assert.False(string.IsNullOrEmpty((await chat.GetResponseAsync("Say hello")).Text));

    [Fact]
    public async Task AMessageWithNoContent_IsRefusedByIndex_BeforeAnythingIsSent()
    {
        var chat = Build();

        var error = await Assert.ThrowsAsync<ArgumentException>(() =>
            chat.GetResponseAsync([new ChatMessage(ChatRole.System, "Be brief."), new ChatMessage(ChatRole.User, (string?)null)]));
        var streamed = await Assert.ThrowsAsync<ArgumentException>(async () =>
        {
            await foreach (var update in chat.GetStreamingResponseAsync([new ChatMessage(ChatRole.User, "  ")]))
            {
                _ = update;
            }
        });

        Assert.Contains("Message 1 (role user) has no content", error.Message, StringComparison.Ordinal);
        Assert.Contains("Message 0 (role user) has no content", streamed.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_local.Requests.Concat(_cloud.Requests), r => r.Method == "POST");
        await StillAnswersAsync(chat);
    }

    [Fact]
    public async Task ATenMegabytePrompt_GetsContextWindowExceededWithTheSizes_AndIsSentNowhere()
    {
        var chat = Build();
        var huge = new string('x', 10 * 1024 * 1024);

        var localOnly = await Assert.ThrowsAsync<ContextWindowExceededException>(() =>
            chat.GetResponseAsync(huge, new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly)));
        var routable = await Assert.ThrowsAsync<ContextWindowExceededException>(() => chat.GetResponseAsync(huge));

        Assert.Contains("8192", localOnly.Message, StringComparison.Ordinal);
        Assert.Contains("128000", routable.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_local.Requests.Concat(_cloud.Requests), r => r.Method == "POST");
        await StillAnswersAsync(chat);
    }

    [Fact]
    public async Task JsonWithNoLocalBackendAbleToConstrainIt_EscalatesOrFailsNamingWhy_AndTheLocalServerGetsNothing()
    {
        _cloud.Default = Respond.Json(Fixture.Read("openai", "chat-completion.json").Replace("Hello! How can I help you today?", "{\\\"name\\\":\\\"Ada\\\",\\\"age\\\":36}", StringComparison.Ordinal));
        var chat = Build(localProvider: "mlx");
        var json = new ChatOptions { ResponseFormat = ChatResponseFormat.ForJsonSchema(PersonSchema, "person") };

        var escalated = await chat.GetResponseAsync("Extract: Ada, 36.", json);
        var error = await Assert.ThrowsAsync<LocalBackendUnavailableException>(() =>
            chat.GetResponseAsync("Extract: Ada, 36.", json.Clone().WithDataPolicy(DataPolicy.LocalOnly)));

        Assert.Equal(("""{"name":"Ada","age":36}""", EscalationReason.LocalError), (escalated.Text, escalated.GetRouteOutcome()!.EscalationReason));
        var cause = Assert.IsType<BackendException>(error.InnerException);
        Assert.Equal(BackendErrorKind.Unsupported, cause.Kind);
        Assert.Contains("'local' (mlx) cannot constrain its output to a JSON Schema", cause.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_local.Requests, r => r.Method == "POST");
        var status = _services!.GetRequiredService<IHybridInferenceStatus>().GetStatus();
        Assert.Equal(0, status.LocalCircuitFailures.Values.Sum());
        Assert.Equal(BackendHealth.Healthy, status.Backends.Single(b => b.Name == "local").Health);
    }

    [Fact]
    public async Task ABackendThatAnswersAnEmptyBody_IsAMalformedResponse_EscalatedOrNamed()
    {
        _local.Default = Respond.Json(string.Empty);
        var chat = Build();

        var escalated = await chat.GetResponseAsync("Say hello");
        var error = await Assert.ThrowsAsync<LocalBackendUnavailableException>(() =>
            chat.GetResponseAsync("Say hello", new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly)));

        Assert.Equal(BackendLane.Cloud, escalated.GetRouteOutcome()!.Target);
        Assert.Equal(BackendErrorKind.MalformedResponse, Assert.IsType<BackendException>(error.InnerException).Kind);
    }

    /// <summary>Requests no backend takes, sent over HTTP: each is refused before a byte leaves the process.</summary>
    public static TheoryData<string> BadRequests => [.. BadRequestNames];

    private static readonly string[] BadRequestNames =
    [
        "temperature-nan", "temperature-too-high", "top-p-zero", "top-k-zero", "frequency-penalty-infinity", "presence-penalty-too-low",
        "max-output-zero", "max-output-negative", "stop-null", "tool-duplicate", "tool-name-invalid", "tool-null",
        "audio", "video-uri", "custom-role", "arguments-cycle",
    ];

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task ABadRequest_IsRefusedWithArgumentException_AndNeverReachesAServer(string name)
    {
        var chat = Build();
        var (messages, options) = Bad(name);

        await Assert.ThrowsAsync<ArgumentException>(() => chat.GetResponseAsync(messages, options));
        await Assert.ThrowsAsync<ArgumentException>(async () =>
        {
            await foreach (var update in chat.GetStreamingResponseAsync(messages, options))
            {
                _ = update;
            }
        });

        Assert.DoesNotContain(_local.Requests.Concat(_cloud.Requests), r => r.Method == "POST");
    }

    [Fact]
    public async Task ThirtyBadRequests_ThenAGoodOne_GoesLocal_WithTheBreakerClosedAndTheBackendHealthy()
    {
        var chat = Build();
        for (var i = 0; i < 30; i++)
        {
            var (messages, options) = Bad(BadRequestNames[i % BadRequestNames.Length]);
            await Assert.ThrowsAsync<ArgumentException>(() => chat.GetResponseAsync(messages, options));
        }

        var response = await chat.GetResponseAsync("Say hello");

        Assert.Equal(BackendLane.Local, response.GetRouteOutcome()!.Target);
        Assert.Single(_local.Requests, r => r.Method == "POST");
        Assert.DoesNotContain(_cloud.Requests, r => r.Method == "POST");
        AssertUntouched();
    }

    [Fact]
    public async Task ALocalServerThatAnswers400_ThirtyTimes_IsNeitherCountedNorEscalated()
    {
        _local.Default = Respond.Json("""{"error":{"message":"Invalid value for 'logit_bias'.","type":"BadRequestError","code":400}}""", 400);
        var chat = Build();
        for (var i = 0; i < 30; i++)
        {
            var error = await Assert.ThrowsAsync<BackendException>(() => chat.GetResponseAsync("Say hello"));
            Assert.Equal((BackendErrorKind.BadRequest, 400), (error.Kind, error.StatusCode));
        }

        _local.Default = Respond.Json(Fixture.Read("vllm", "chat-completion.json"));
        var response = await chat.GetResponseAsync("Say hello");

        Assert.Equal(BackendLane.Local, response.GetRouteOutcome()!.Target);
        Assert.DoesNotContain(_cloud.Requests, r => r.Method == "POST");
        AssertUntouched();
    }

    [Fact]
    public async Task TheHybridClient_AfterTheContainerIsDisposed_ThrowsObjectDisposedException_AndSendsNothing()
    {
        var chat = Build();
        await _services!.DisposeAsync();
        _services = null;

        await Assert.ThrowsAsync<ObjectDisposedException>(() => chat.GetResponseAsync("Say hello"));
        Assert.DoesNotContain(_local.Requests.Concat(_cloud.Requests), r => r.Method == "POST");
    }

    private void AssertUntouched()
    {
        var status = _services!.GetRequiredService<IHybridInferenceStatus>().GetStatus();
        Assert.Equal(Polly.CircuitBreaker.CircuitState.Closed, status.LocalCircuit);
        Assert.Equal(0, status.LocalCircuitFailures.Values.Sum());
        Assert.Equal(BackendHealth.Healthy, status.Backends.Single(b => b.Name == "local").Health);
    }

    private static (ChatMessage[] Messages, ChatOptions? Options) Bad(string name)
    {
        ChatMessage[] hello = [new(ChatRole.User, "Say hello")];
        var cycle = new List<object>();
        cycle.Add(cycle);
        return name switch
        {
            "temperature-nan" => (hello, new ChatOptions { Temperature = float.NaN }),
            "temperature-too-high" => (hello, new ChatOptions { Temperature = 7 }),
            "top-p-zero" => (hello, new ChatOptions { TopP = 0 }),
            "top-k-zero" => (hello, new ChatOptions { TopK = 0 }),
            "frequency-penalty-infinity" => (hello, new ChatOptions { FrequencyPenalty = float.PositiveInfinity }),
            "presence-penalty-too-low" => (hello, new ChatOptions { PresencePenalty = -3 }),
            "max-output-zero" => (hello, new ChatOptions { MaxOutputTokens = 0 }),
            "max-output-negative" => (hello, new ChatOptions { MaxOutputTokens = -100 }),
            "stop-null" => (hello, new ChatOptions { StopSequences = [null!] }),
            "tool-duplicate" => (hello, new ChatOptions { Tools = [AIFunctionFactory.Create(() => 1, "f"), AIFunctionFactory.Create(() => 2, "f")] }),
            "tool-name-invalid" => (hello, new ChatOptions { Tools = [AIFunctionFactory.Create(() => 1, "f.g")] }),
            "tool-null" => (hello, new ChatOptions { Tools = [null!] }),
            "audio" => ([new(ChatRole.User, [new TextContent("Transcribe"), new DataContent(new byte[] { 1 }, "audio/mpeg")])], null),
            "video-uri" => ([new(ChatRole.User, [new UriContent(new Uri("https://example.com/v.mp4"), "video/mp4")])], null),
            "custom-role" => ([new(new ChatRole("narrator"), "Once upon a time")], null),
            "arguments-cycle" => ([
                new(ChatRole.User, "Look it up"),
                new(ChatRole.Assistant, [new FunctionCallContent("c1", "lookup", new Dictionary<string, object?> { ["list"] = cycle })]),
                new(ChatRole.Tool, [new FunctionResultContent("c1", "done")])], null),
            _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
        };
    }
}
