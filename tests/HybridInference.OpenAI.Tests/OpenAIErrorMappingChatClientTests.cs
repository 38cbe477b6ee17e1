using System.Text.Json;
using HybridInference.OpenAI.DependencyInjection;
using Microsoft.Extensions.DependencyInjection;

namespace HybridInference.OpenAI.Tests;

/// <summary>
/// The <c>openai</c> provider in the cloud lane runs on Microsoft.Extensions.AI.OpenAI, over HTTP on 127.0.0.1: what
/// it sends and reads, and that every failure becomes the same typed error this library's own wire code gives the
/// same answer, without retries by the SDK and without the key.
/// </summary>
public sealed partial class OpenAIErrorMappingChatClientTests : ServerTestBase
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
}
