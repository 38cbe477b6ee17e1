using System.Text.Json;
using HybridInference.OpenAI.DependencyInjection;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace HybridInference.OpenAI.Tests;

/// <summary>
/// The <c>openai</c> provider in the cloud lane runs on Microsoft.Extensions.AI.OpenAI, over HTTP on 127.0.0.1: what
/// it sends and reads, and that every failure becomes the same typed error this library's own wire code gives the
/// same answer, without retries by the SDK and without the key.
/// </summary>
public sealed class OpenAIErrorMappingChatClientTests : ServerTestBase
{
    private const string Key = "sk-proj-SENTINEL-7c1b2a3d4e5f";

    // As AddOpenAIProviders registers them: the factory, and the key headers masked while the factory's handlers log.
    private static readonly ServiceProvider Services = new ServiceCollection()
        .AddHttpClient()
        .AddSingleton<Microsoft.Extensions.Options.IPostConfigureOptions<Microsoft.Extensions.Http.HttpClientFactoryOptions>, HybridInference.Http.SecretHeaderRedaction>()
        .BuildServiceProvider();

    private static IChatClient Cloud(Uri endpoint, TimeSpan? timeout = null, string apiKey = Key) =>
        new OpenAIBackendClientFactory().Create(
            new BackendOptions { Name = "openai", Provider = "openai", Endpoint = endpoint, Model = "gpt-4o", ApiKey = apiKey, Timeout = timeout },
            BackendLane.Cloud,
            Services);

    private IChatClient Cloud(TimeSpan? timeout = null) => Cloud(Server.V1, timeout);

    /// <summary>The library's own wire code for the same API, the reference the mapping must agree with.</summary>
    private OpenAICompatibleChatClient Own() =>
        new(new OpenAICompatibleChatClientOptions { Provider = "openai", Endpoint = Server.V1, Model = "gpt-4o", ApiKey = Key, Name = "openai" });

    private static async Task<Exception> Failure(Func<Task> call)
    {
        try
        {
            await call();
        }
        catch (Exception ex)
        {
            return ex;
        }

        throw new Xunit.Sdk.XunitException("The call did not fail.");
    }

    private static Task<Exception> StreamFailure(IChatClient client, List<string>? received = null) => Failure(async () =>
    {
        await foreach (var update in client.GetStreamingResponseAsync(Hello))
        {
            received?.Add(update.Text);
        }
    });

    // ---- which client -------------------------------------------------------------------------------------------

    [Fact]
    public async Task Factory_OpenAIInTheCloudLane_IsMicrosoftExtensionsAIOpenAIsClient_AndLocalDialectsKeepTheOwnWireCode()
    {
        Server.Default = Respond.File(Fixture.Path("openai", "chat-completion.json"));
        var cloud = Cloud();
        var local = new OpenAIBackendClientFactory().Create(
            new BackendOptions { Name = "gpu", Provider = "openai-compatible", Endpoint = Server.V1, Model = "m" }, BackendLane.Local, Services);

        await cloud.GetResponseAsync(Hello);
        await local.GetResponseAsync(Hello);

        Assert.NotNull(cloud.GetService<global::OpenAI.Chat.ChatClient>()); // The SDK's chat client under AsIChatClient().
        Assert.Null(cloud.GetService<OpenAICompatibleChatClient>());
        Assert.NotNull(local.GetService<OpenAICompatibleChatClient>());
        Assert.Contains("MEAI/", Server.Requests[0].Header("User-Agent"), StringComparison.Ordinal);
        Assert.DoesNotContain("MEAI/", Server.Requests[1].Header("User-Agent") ?? string.Empty, StringComparison.Ordinal);
    }

    [Fact]
    public void Metadata_NamesProviderEndpointWithoutSecretsAndModel()
    {
        var client = Cloud(new Uri("https://user:s3cr3t@api.example.test/v1?api-key=s3cr3t"));

        var metadata = client.GetService<ChatClientMetadata>()!;

        Assert.Equal(("openai", "https://api.example.test/v1", "gpt-4o"), (metadata.ProviderName, metadata.ProviderUri!.ToString(), metadata.DefaultModelId));
        Assert.NotNull(client.GetService<IBackendHealthProbe>()); // The pool still probes it, token-free.
    }

    [Fact]
    public async Task HealthProbe_AsksTheModelList_WithTheKey()
    {
        Server.Default = Respond.File(Fixture.Path("openai", "models.json"));

        var result = await Cloud().GetService<IBackendHealthProbe>()!.CheckHealthAsync();

        Assert.Equal(Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy, result.Status);
        Assert.Equal(("/v1/models", $"Bearer {Key}"), (Assert.Single(Server.Requests).Path, Server.Requests[0].Header("Authorization")));
    }

    // ---- what it sends and reads ----------------------------------------------------------------------------------

    [Fact]
    public async Task Completion_ReadsTextUsageModelAndFinishReason_AndSendsTheKey()
    {
        Server.Enqueue(Respond.File(Fixture.Path("openai", "chat-completion.json")));

        var response = await Cloud().GetResponseAsync(Hello);

        Assert.Equal("Hello! How can I help you today?", response.Text);
        Assert.Equal((12L, 9L, 21L), (response.Usage!.InputTokenCount!.Value, response.Usage.OutputTokenCount!.Value, response.Usage.TotalTokenCount!.Value));
        Assert.Equal(("gpt-4o-2024-08-06", ChatFinishReason.Stop), (response.ModelId, response.FinishReason));
        var request = Assert.Single(Server.Requests);
        Assert.Equal(("POST", "/v1/chat/completions", $"Bearer {Key}"), (request.Method, request.Path, request.Header("Authorization")));
        using var body = JsonDocument.Parse(request.Body);
        Assert.Equal("gpt-4o", body.RootElement.GetProperty("model").GetString());
        Assert.Equal("Say hello", body.RootElement.GetProperty("messages")[0].GetProperty("content").GetString());
    }

    [Fact]
    public async Task Stream_ReadsTextAndUsage_AndAsksForUsage()
    {
        Server.Enqueue(Respond.File(Fixture.Path("openai", "chat-completion-stream.sse")));

        var updates = await ReadAll(Cloud().GetStreamingResponseAsync(Hello));
        var response = updates.ToChatResponse();

        Assert.Equal("Hello! How can I help you today?", response.Text);
        Assert.Equal((12L, 9L), (response.Usage!.InputTokenCount!.Value, response.Usage.OutputTokenCount!.Value));
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        using var body = JsonDocument.Parse(Assert.Single(Server.Requests).Body);
        Assert.True(body.RootElement.GetProperty("stream").GetBoolean());
        Assert.True(body.RootElement.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
    }

    [Fact]
    public async Task JsonSchemaAndOutputLimit_ReachTheServerInOpenAIsForm()
    {
        var schema = JsonDocument.Parse("""{"type":"object","properties":{"name":{"type":"string"}},"required":["name"]}""").RootElement;
        Server.Enqueue(Respond.File(Fixture.Path("openai", "chat-completion.json")));
        Server.Enqueue(Respond.File(Fixture.Path("openai", "chat-completion.json")));

        await Cloud().GetResponseAsync(Hello, new ChatOptions { ResponseFormat = ChatResponseFormat.ForJsonSchema(schema, "person"), MaxOutputTokens = 100 });
        await Cloud().GetResponseAsync(Hello, new ChatOptions { ResponseFormat = ChatResponseFormat.Json });

        using var withSchema = JsonDocument.Parse(Server.Requests[0].Body);
        var format = withSchema.RootElement.GetProperty("response_format");
        Assert.Equal(("json_schema", "person"), (format.GetProperty("type").GetString(), format.GetProperty("json_schema").GetProperty("name").GetString()));
        var sent = format.GetProperty("json_schema").GetProperty("schema");
        Assert.True(JsonElement.DeepEquals(schema.GetProperty("properties"), sent.GetProperty("properties")));
        Assert.True(JsonElement.DeepEquals(schema.GetProperty("required"), sent.GetProperty("required")));
        Assert.False(sent.GetProperty("additionalProperties").GetBoolean()); // Microsoft.Extensions.AI.OpenAI closes the object (narrower, never wider).
        Assert.Equal(100, withSchema.RootElement.GetProperty("max_completion_tokens").GetInt32());
        using var anyJson = JsonDocument.Parse(Server.Requests[1].Body);
        Assert.Equal("json_object", anyJson.RootElement.GetProperty("response_format").GetProperty("type").GetString());
    }

    [Fact]
    public async Task ToolCall_IsSentAndReadBack()
    {
        Server.Enqueue(Respond.Json("""
            {"id":"x","object":"chat.completion","created":1,"model":"gpt-4o","choices":[{"index":0,"finish_reason":"tool_calls",
             "message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_9","type":"function","function":{"name":"add","arguments":"{\"a\":1,\"b\":2}"}}]}}]}
            """));
        var add = AIFunctionFactory.Create((int a, int b) => a + b, "add", "Adds two numbers.");

        var response = await Cloud().GetResponseAsync(Hello, new ChatOptions { Tools = [add] });

        var call = Assert.IsType<FunctionCallContent>(Assert.Single(response.Messages.SelectMany(m => m.Contents), c => c is FunctionCallContent));
        Assert.Equal(("call_9", "add", "1"), (call.CallId, call.Name, call.Arguments!["a"]!.ToString()));
        using var body = JsonDocument.Parse(Server.Requests[0].Body);
        Assert.Equal("add", body.RootElement.GetProperty("tools")[0].GetProperty("function").GetProperty("name").GetString());
    }

    // ---- errors: the same typed failure as the own wire code --------------------------------------------------------

    /// <summary>
    /// Every error answer in the replayed fixtures (Fixtures/README.md gives each one's source: OpenAI's
    /// <c>ErrorResponse</c> schema and captures, and the other servers' bodies of every shape), plus OpenAI-shaped
    /// bodies for the statuses the fixtures lack (401, 403, 500, 502, 503, 504, 408, 413), written in the
    /// <c>ErrorResponse</c> schema's form.
    /// </summary>
    public static TheoryData<string, int, string> ErrorAnswers()
    {
        var data = new TheoryData<string, int, string>();
        foreach (var path in Directory.EnumerateFiles(Path.Combine(AppContext.BaseDirectory, "Fixtures"), "error-*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            var parts = Path.GetFileName(path).Split('.');
            data.Add($"{Path.GetFileName(Path.GetDirectoryName(path))}/{Path.GetFileName(path)}", int.Parse(parts[^2], System.Globalization.CultureInfo.InvariantCulture), File.ReadAllText(path));
        }

        static string OpenAIError(string message, string type, string? code) =>
            $$$"""{"error":{"message":"{{{message}}}","type":"{{{type}}}","param":null,"code":{{{(code is null ? "null" : $"\"{code}\"")}}}}}""";
        data.Add("openai 401 invalid key", 401, OpenAIError("Incorrect API key provided: sk-abc...wxyz. You can find your API key at https://platform.openai.com/account/api-keys.", "invalid_request_error", "invalid_api_key"));
        data.Add("openai 403 region", 403, OpenAIError("Country, region, or territory not supported", "request_forbidden", "unsupported_country_region_territory"));
        data.Add("openai 500", 500, OpenAIError("The server had an error while processing your request. Sorry about that!", "server_error", null));
        data.Add("openai 502", 502, "<html><body>502 Bad Gateway</body></html>");
        data.Add("openai 503 overloaded", 503, OpenAIError("The engine is currently overloaded, please try again later.", "server_error", null));
        data.Add("openai 504", 504, "");
        data.Add("openai 408", 408, OpenAIError("Request timed out.", "timeout", null));
        data.Add("openai 413", 413, OpenAIError("Request too large for gpt-4o.", "invalid_request_error", null));
        data.Add("openai 429 quota", 429, OpenAIError("You exceeded your current quota, please check your plan and billing details.", "insufficient_quota", "insufficient_quota"));
        return data;
    }

    [Theory]
    [MemberData(nameof(ErrorAnswers))]
    public async Task ErrorAnswer_PlainAndStreamed_IsTheSameTypedFailureAsTheOwnWireCodeGives(string name, int status, string body)
    {
        Server.Default = Respond.Text(body, status, body.StartsWith('{') ? "application/json" : "text/plain", r => r.Headers.RetryAfter = status == 429 ? "7" : null);

        var expected = await Failure(() => Own().GetResponseAsync(Hello));
        var plain = await Failure(() => Cloud().GetResponseAsync(Hello));
        var streamed = await StreamFailure(Cloud());

        Assert.IsAssignableFrom<HybridInferenceException>(expected); // The reference is typed: so must the new client's be.
        foreach (var actual in new[] { plain, streamed })
        {
            Assert.True(expected.GetType() == actual.GetType(), $"{name}: {actual}");
            Assert.Equal(expected.Message, actual.Message);
            if (expected is BackendException reference)
            {
                var mapped = (BackendException)actual;
                Assert.Equal((reference.Kind, reference.StatusCode, reference.RetryAfter), (mapped.Kind, mapped.StatusCode, mapped.RetryAfter));
                Assert.Equal(status, mapped.StatusCode);
            }
        }
    }

    [Theory]
    [InlineData(401, BackendErrorKind.Unauthorized)]
    [InlineData(403, BackendErrorKind.Unauthorized)]
    [InlineData(400, BackendErrorKind.BadRequest)]
    [InlineData(404, BackendErrorKind.NotFound)]
    [InlineData(429, BackendErrorKind.RateLimited)]
    [InlineData(500, BackendErrorKind.ServerError)]
    [InlineData(503, BackendErrorKind.ServerError)]
    public async Task ErrorStatus_MapsToItsKind(int status, BackendErrorKind kind)
    {
        Server.Default = Respond.Json("""{"error":{"message":"Something is wrong.","type":"invalid_request_error","param":null,"code":null}}""", status);

        var error = Assert.IsType<BackendException>(await Failure(() => Cloud().GetResponseAsync(Hello)));

        Assert.Equal((kind, status), (error.Kind, error.StatusCode));
        Assert.EndsWith(": Something is wrong.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ContextLengthRejection_IsContextWindowExceeded_PlainAndStreamed()
    {
        Server.Default = Respond.File(Fixture.Path("openai", "error-context-length-exceeded.400.json"));

        Assert.IsType<ContextWindowExceededException>(await Failure(() => Cloud().GetResponseAsync(Hello)));
        Assert.IsType<ContextWindowExceededException>(await StreamFailure(Cloud()));
    }

    [Fact]
    public async Task RateLimited_CarriesRetryAfter_FromTheHeaderOrTheMessage()
    {
        Server.Enqueue(Respond.File(Fixture.Path("openai", "error-rate-limited.429.json"), r => r.Headers.RetryAfter = "7"));
        Server.Enqueue(Respond.File(Fixture.Path("openai", "error-rate-limited.429.json")));

        var fromHeader = Assert.IsType<BackendException>(await Failure(() => Cloud().GetResponseAsync(Hello)));
        var fromMessage = Assert.IsType<BackendException>(await Failure(() => Cloud().GetResponseAsync(Hello)));

        Assert.Equal((BackendErrorKind.RateLimited, TimeSpan.FromSeconds(7)), (fromHeader.Kind, fromHeader.RetryAfter));
        Assert.Equal((BackendErrorKind.RateLimited, TimeSpan.FromSeconds(5.352)), (fromMessage.Kind, fromMessage.RetryAfter));
    }

    [Theory]
    [InlineData(408)]
    [InlineData(429)]
    [InlineData(500)]
    [InlineData(502)]
    [InlineData(503)]
    [InlineData(504)]
    [InlineData(0)] // The connection dropped without an answer.
    public async Task RetriableAnswer_IsNotRetriedByTheSdk_TheServerSeesOneRequest(int status)
    {
        Server.Default = status == 0 ? Respond.Abort() : Respond.Json("""{"error":{"message":"try later","type":"server_error"}}""", status);

        Assert.IsType<BackendException>(await Failure(() => Cloud().GetResponseAsync(Hello)));
        Assert.Single(Server.Requests);
        Assert.IsType<BackendException>(await StreamFailure(Cloud()));
        Assert.Equal(2, Server.Requests.Count);
    }

    [Fact]
    public async Task ConnectionRefused_IsUnavailable_PlainAndStreamed()
    {
        var closed = await LoopbackServer.StartAsync();
        var endpoint = closed.V1;
        await closed.DisposeAsync();

        var plain = Assert.IsType<BackendException>(await Failure(() => Cloud(endpoint).GetResponseAsync(Hello)));
        var streamed = Assert.IsType<BackendException>(await StreamFailure(Cloud(endpoint)));

        Assert.Equal((BackendErrorKind.Unavailable, BackendErrorKind.Unavailable), (plain.Kind, streamed.Kind));
        Assert.StartsWith("Backend 'openai' could not be reached: ", plain.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("stream, before its first byte")]
    [InlineData("stream, silent after its first update")]
    public async Task ServerSlowerThanTheTimeout_IsTimeout_NamingTheSetting(string shape)
    {
        var firstChunk = Fixture.Read("openai", "chat-completion-stream.sse").Split("\n\n")[1] + "\n\n";
        Server.Default = shape switch
        {
            "plain" => Respond.Slow(TimeSpan.FromSeconds(30), Fixture.Read("openai", "chat-completion.json")),
            "stream, before its first byte" => Respond.Sse(Fixture.Read("openai", "chat-completion-stream.sse"), firstByteDelay: TimeSpan.FromSeconds(30)),
            _ => async context =>
            {
                context.Response.ContentType = "text/event-stream";
                await context.Response.WriteAsync(firstChunk);
                await context.Response.Body.FlushAsync();
                await Task.Delay(TimeSpan.FromSeconds(30), context.RequestAborted);
            },
        };
        var client = Cloud(TimeSpan.FromSeconds(1));
        var received = new List<string>();

        var error = Assert.IsType<BackendException>(shape == "plain" ? await Failure(() => client.GetResponseAsync(Hello)) : await StreamFailure(client, received));

        Assert.Equal(BackendErrorKind.Timeout, error.Kind);
        Assert.Contains("1 s, the Timeout of backend 'openai' under HybridInference:Cloud:Backends", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("NetworkTimeout", error.Message, StringComparison.Ordinal);
        Assert.Equal(shape.EndsWith("update", StringComparison.Ordinal) ? "Hello" : string.Empty, string.Concat(received));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(3)]
    public async Task ConnectionCutMidStream_IsDisconnected_AfterWhatArrived(int events)
    {
        Server.Default = Respond.Sse(Fixture.Read("openai", "chat-completion-stream.sse"), abortAfterEvents: events);
        var received = new List<string>();

        var error = Assert.IsType<BackendException>(await StreamFailure(Cloud(), received));

        Assert.Equal(BackendErrorKind.Disconnected, error.Kind);
        Assert.Equal(events >= 3 ? "Hello!" : string.Empty, string.Concat(received));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(10)] // Everything but the finish chunk, the usage chunk and [DONE].
    public async Task StreamClosedBeforeItsFinishReason_IsDisconnected_NotAShortAnswer(int events)
    {
        var kept = Fixture.Read("openai", "chat-completion-stream.sse").Split("\n\n")[..events];
        Server.Default = Respond.Sse(string.Join("\n\n", kept) + "\n\n");

        var error = Assert.IsType<BackendException>(await StreamFailure(Cloud()));

        Assert.Equal(BackendErrorKind.Disconnected, error.Kind);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(3)]
    public async Task ErrorEventInsideA200Stream_IsAStreamError_AfterTheTextBeforeIt_NotAShortAnswer(int eventsBefore)
    {
        var events = Fixture.Read("openai", "chat-completion-stream.sse").Split("\n\n")[..eventsBefore];
        Server.Default = Respond.Sse(string.Concat(events.Select(e => e + "\n\n"))
            + $"data: {{\"error\":{{\"message\":\"The server had an error while processing your request. Key {Key}\",\"type\":\"server_error\"}}}}\n\n");
        var received = new List<string>();

        var error = Assert.IsType<BackendException>(await StreamFailure(Cloud(), received));

        Assert.Equal(BackendErrorKind.StreamError, error.Kind);
        Assert.Contains("The server had an error while processing your request.", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Key, error.ToString(), StringComparison.Ordinal);
        Assert.Equal(eventsBefore == 3 ? "Hello!" : string.Empty, string.Concat(received));
    }

    [Fact]
    public async Task ContextLengthErrorEventInsideA200Stream_IsContextWindowExceeded()
    {
        Server.Default = Respond.Sse("data: {\"error\":{\"message\":\"This model's maximum context length is 128000 tokens.\",\"type\":\"invalid_request_error\",\"code\":\"context_length_exceeded\"}}\n\n");

        Assert.IsType<ContextWindowExceededException>(await StreamFailure(Cloud()));
    }

    [Fact]
    public async Task RequestRefusedBeforeSending_IsTheCallersError_NotABackendFailure()
    {
        var error = await Failure(() => Cloud().GetResponseAsync((IEnumerable<ChatMessage>)null!));

        Assert.IsType<ArgumentNullException>(error);
        Assert.Empty(Server.Requests);
    }

    [Theory]
    [InlineData("this is not json")]
    [InlineData("")]
    [InlineData("{\"choices\": []}")]
    [InlineData("{\"choices\": [{\"index\": 0}]}")]
    [InlineData("{\"id\":\"x\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"finish_reason\":\"no-such-reason\"}]}")]
    public async Task BodyThatIsNotAChatCompletion_IsMalformedResponse(string body)
    {
        Server.Default = Respond.Json(body);

        var error = Assert.IsType<BackendException>(await Failure(() => Cloud().GetResponseAsync(Hello)));

        Assert.Equal(BackendErrorKind.MalformedResponse, error.Kind);
    }

    [Theory]
    [InlineData("data: {\"choices\": [\n\ndata: [DONE]\n\n")]
    [InlineData("data: not json\n\ndata: [DONE]\n\n")]
    public async Task StreamEventThatIsNotJson_IsMalformedResponse(string sse)
    {
        Server.Default = Respond.Sse(sse);

        var error = Assert.IsType<BackendException>(await StreamFailure(Cloud()));

        Assert.Equal(BackendErrorKind.MalformedResponse, error.Kind);
    }

    [Fact]
    public async Task CallerCancellation_IsACancellation_NotABackendFailure()
    {
        Server.Default = Respond.Slow(TimeSpan.FromSeconds(30), "{}");
        using var plain = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));
        using var streamed = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        Assert.IsAssignableFrom<OperationCanceledException>(await Failure(() => Cloud().GetResponseAsync(Hello, null, plain.Token)));
        Assert.IsAssignableFrom<OperationCanceledException>(await Failure(async () =>
        {
            await foreach (var _ in Cloud().GetStreamingResponseAsync(Hello, null, streamed.Token))
            {
            }
        }));
    }

    public static TheoryData<string> UnsendableContents() => ["application/x-weird data", "text/csv data", "audio/ogg data", "video/mp4 uri", "application/pdf uri", "error content", "non-function tool"];

    [Theory]
    [MemberData(nameof(UnsendableContents))]
    public async Task ContentTheRequestCannotCarry_IsRefusedBeforeSending_NotDropped(string kind)
    {
        Server.Default = Respond.File(Fixture.Path("openai", "chat-completion.json"));
        var message = new ChatMessage(ChatRole.User, "Summarize the attachment.");
        var options = new ChatOptions();
        switch (kind)
        {
            case "non-function tool":
                options.Tools = [new HostedWebSearchTool()];
                break;
            case "error content":
                message.Contents.Add(new ErrorContent("an error"));
                break;
            case var uri when uri.EndsWith(" uri", StringComparison.Ordinal):
                message.Contents.Add(new UriContent(new Uri("https://files.example/attachment"), uri[..^4]));
                break;
            default:
                message.Contents.Add(new DataContent(new byte[] { 1, 2, 3 }, kind[..^5]));
                break;
        }

        var plain = await Failure(() => Cloud().GetResponseAsync([message], options));
        var streamed = await Failure(async () =>
        {
            await foreach (var _ in Cloud().GetStreamingResponseAsync([message], options))
            {
            }
        });

        Assert.IsType<NotSupportedException>(plain); // The caller's request, not the backend's fault...
        Assert.IsType<NotSupportedException>(streamed);
        Assert.Contains("Nothing was sent.", plain.Message, StringComparison.Ordinal);
        Assert.Empty(Server.Requests); // ...and not sent without the part.
    }

    [Theory]
    [InlineData("image/png", "image_url")]
    [InlineData("application/pdf", "file")]
    [InlineData("audio/wav", "input_audio")]
    [InlineData("audio/mpeg", "input_audio")]
    public async Task AttachmentTheRequestCanCarry_IsSent(string mediaType, string part)
    {
        Server.Default = Respond.File(Fixture.Path("openai", "chat-completion.json"));
        var message = new ChatMessage(ChatRole.User, "Summarize the attachment.");
        message.Contents.Add(new DataContent(new byte[] { 1, 2, 3 }, mediaType));

        await Cloud().GetResponseAsync([message]);

        using var body = JsonDocument.Parse(Assert.Single(Server.Requests).Body);
        var parts = body.RootElement.GetProperty("messages")[0].GetProperty("content");
        Assert.Equal(["text", part], parts.EnumerateArray().Select(p => p.GetProperty("type").GetString()));
    }

    // ---- secrets ------------------------------------------------------------------------------------------------

    public static TheoryData<string> KeyForms => Echoes.KeyFormNames();

    [Theory]
    [MemberData(nameof(KeyForms))]
    public async Task KeyEchoedInAnyRecognisableForm_IsInNoExceptionOfTheCloudClient(string form)
    {
        var echoed = Echoes.KeyForms(Echoes.Key)[form];
        Server.Default = Respond.Json(
            $$$"""{"error":{"message":"Incorrect API key provided: {{{Echoes.Escape(echoed)}}}. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","code":"invalid_api_key"}}""",
            401);
        var client = Cloud(Server.V1, apiKey: Echoes.Key);

        var plain = await Failure(() => client.GetResponseAsync(Hello));
        var streamed = await StreamFailure(client);

        Assert.Equal($"Bearer {Echoes.Key}", Server.Requests[0].Header("Authorization"));
        foreach (var error in new[] { plain, streamed })
        {
            var text = error.ToString();
            Assert.Equal(BackendErrorKind.Unauthorized, Assert.IsType<BackendException>(error).Kind);
            Assert.DoesNotContain(echoed, text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(Echoes.Key, text, StringComparison.OrdinalIgnoreCase);
            Assert.Contains("Incorrect API key provided: ", text, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("timeout")]
    [InlineData("refused")]
    [InlineData("cut")]
    [InlineData("malformed")]
    [InlineData("key in a malformed answer")]
    public async Task Key_IsInNoExceptionOfAnyFailure(string failure)
    {
        var endpoint = Server.V1;
        var completion = Fixture.Read("openai", "chat-completion.json");
        switch (failure)
        {
            case "timeout":
                Server.Default = Respond.Slow(TimeSpan.FromSeconds(30), completion);
                break;
            case "refused":
                var closed = await LoopbackServer.StartAsync();
                endpoint = closed.V1;
                await closed.DisposeAsync();
                break;
            case "cut":
                Server.Default = Respond.Sse(Fixture.Read("openai", "chat-completion-stream.sse"), abortAfterEvents: 2);
                break;
            case "malformed":
                Server.Default = Respond.Json("{\"choices\": [] " + Key);
                break;
            default:
                Server.Default = Respond.Json(completion.Replace("\"finish_reason\":\"stop\"", $"\"finish_reason\":\"{Key}\"", StringComparison.Ordinal));
                break;
        }

        var client = Cloud(endpoint, TimeSpan.FromSeconds(1));
        var errors = new[] { await Failure(() => client.GetResponseAsync(Hello)), await StreamFailure(client) };

        Assert.All(errors, e => Assert.IsType<BackendException>(e));
        Assert.All(errors, e => Assert.DoesNotContain(Key, e.ToString(), StringComparison.OrdinalIgnoreCase));
        Assert.All(errors, e => Assert.DoesNotContain(Key[..12], e.ToString(), StringComparison.OrdinalIgnoreCase));
    }

    public static TheoryData<string> RequestKinds => Echoes.RequestKindNames();

    [Theory]
    [MemberData(nameof(RequestKinds))]
    public async Task RequestTextOfEveryKind_QuotedInA400_IsNotInTheException(string kind)
    {
        var request = Echoes.RequestKinds()[kind];
        Server.Default = Echoes.QuotingTheBody(
            request.Sentinel, quote => Respond.Json($$$"""{"error":{"message":"Invalid input near '{{{quote}}}': not allowed.","type":"invalid_request_error","code":null}}""", 400));

        var error = Assert.IsType<BackendException>(await Failure(() => Cloud().GetResponseAsync(request.Messages, request.Options)));

        Assert.Contains(request.Sentinel, Assert.Single(Server.Requests).Body, StringComparison.Ordinal); // It was sent...
        Assert.DoesNotContain(request.Sentinel, error.ToString(), StringComparison.Ordinal); // ...and is not quoted back.
        Assert.Contains("[prompt text]", error.Message, StringComparison.Ordinal);
        Assert.EndsWith("': not allowed.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void MissingKey_IsAClearErrorNamingTheSetting_NotABackendFailure()
    {
        var error = Assert.Throws<InvalidOperationException>(() => OpenAIBackendClientFactory.CreateOpenAICloud(
            new OpenAICompatibleChatClientOptions { Provider = "openai", Endpoint = new Uri("https://api.example.test/v1"), Model = "gpt-4o", Name = "o" }, new HttpClient(), probe: null));

        Assert.Contains("OPENAI_API_KEY", error.Message, StringComparison.Ordinal);
    }
}
