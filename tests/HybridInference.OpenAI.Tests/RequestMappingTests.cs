using System.Text.Json;

namespace HybridInference.OpenAI.Tests;

/// <summary>What the client puts on the wire: asserted on the body the server received.</summary>
public sealed class RequestMappingTests : ServerTestBase
{
    private static readonly JsonElement Schema = JsonDocument.Parse("""{"type":"object","properties":{"name":{"type":"string"}},"required":["name"]}""").RootElement;

    private async Task<JsonElement> SentBody(string provider, IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        Server.Enqueue(Respond.File(Fixture.Path(provider == "mlx" || provider == "openai-compatible" ? "openai" : provider, "chat-completion.json")));
        await Client(provider).GetResponseAsync(messages, options);
        return JsonDocument.Parse(Server.Requests[^1].Body).RootElement;
    }

    [Theory]
    [InlineData("vllm")]
    [InlineData("ollama")]
    [InlineData("llamacpp")]
    [InlineData("localai")]
    [InlineData("openai")]
    [InlineData("openai-compatible")]
    public async Task JsonSchema_ReachesTheServer_InTheOpenAIForm_WithAName(string provider)
    {
        var body = await SentBody(provider, Hello, new ChatOptions { ResponseFormat = ChatResponseFormat.ForJsonSchema(Schema) });

        var format = body.GetProperty("response_format");
        Assert.Equal("json_schema", format.GetProperty("type").GetString());
        Assert.Equal("response", format.GetProperty("json_schema").GetProperty("name").GetString()); // vLLM rejects a nameless one.
        Assert.True(JsonElement.DeepEquals(Schema, format.GetProperty("json_schema").GetProperty("schema")));
        Assert.False(format.TryGetProperty("schema", out _)); // Not llama.cpp's README short form, which llama-server ignores.
    }

    [Fact]
    public async Task Tgi_JsonSchema_UsesTypeValue()
    {
        var body = await SentBody("tgi", Hello, new ChatOptions { ResponseFormat = ChatResponseFormat.ForJsonSchema(Schema, "person") });

        var format = body.GetProperty("response_format");
        Assert.Equal("json", format.GetProperty("type").GetString());
        Assert.True(JsonElement.DeepEquals(Schema, format.GetProperty("value")));
    }

    [Fact]
    public async Task Tgi_AnyJson_SendsAnObjectSchema_AndText_SendsNothing()
    {
        var json = await SentBody("tgi", Hello, new ChatOptions { ResponseFormat = ChatResponseFormat.Json });
        var text = await SentBody("tgi", Hello, new ChatOptions { ResponseFormat = ChatResponseFormat.Text });

        Assert.Equal("object", json.GetProperty("response_format").GetProperty("value").GetProperty("type").GetString());
        Assert.False(text.TryGetProperty("response_format", out _)); // TGI has no "text" variant (422).
    }

    [Fact]
    public async Task AnyJson_IsJsonObject()
    {
        var body = await SentBody("vllm", Hello, new ChatOptions { ResponseFormat = ChatResponseFormat.Json });

        Assert.Equal("json_object", body.GetProperty("response_format").GetProperty("type").GetString());
    }

    [Fact]
    public async Task SamplingOptions_AreSent()
    {
        var body = await SentBody("vllm", Hello, new ChatOptions
        {
            Temperature = 0.25f, TopP = 0.9f, TopK = 40, MaxOutputTokens = 256, Seed = 7, StopSequences = ["\n\n", "END"],
            FrequencyPenalty = 0.5f, PresencePenalty = 0.1f, ModelId = "other-model",
        });

        Assert.Equal(0.25, body.GetProperty("temperature").GetDouble(), 3);
        Assert.Equal(0.9, body.GetProperty("top_p").GetDouble(), 3);
        Assert.Equal(40, body.GetProperty("top_k").GetInt32());
        Assert.Equal(256, body.GetProperty("max_tokens").GetInt32());
        Assert.Equal(7, body.GetProperty("seed").GetInt64());
        Assert.Equal(["\n\n", "END"], body.GetProperty("stop").EnumerateArray().Select(e => e.GetString()));
        Assert.Equal(0.5, body.GetProperty("frequency_penalty").GetDouble(), 3);
        Assert.Equal("other-model", body.GetProperty("model").GetString());
    }

    [Fact]
    public async Task OpenAI_TakesMaxCompletionTokens_AndNoTopK()
    {
        var body = await SentBody("openai", Hello, new ChatOptions { MaxOutputTokens = 100, TopK = 5 });

        Assert.Equal(100, body.GetProperty("max_completion_tokens").GetInt32());
        Assert.False(body.TryGetProperty("max_tokens", out _));
        Assert.False(body.TryGetProperty("top_k", out _));
    }

    [Fact]
    public async Task Messages_OfEveryRole_WithImagesAndToolCalls()
    {
        ChatMessage[] messages =
        [
            new(ChatRole.System, "Be brief."),
            new(ChatRole.User, [new TextContent("What is in this picture?"), new UriContent("https://example.invalid/cat.png", "image/png"), new DataContent(new byte[] { 1, 2, 3 }, "image/png")]),
            new(ChatRole.Assistant, [new FunctionCallContent("call_1", "lookup", new Dictionary<string, object?> { ["q"] = "cat" })]),
            new(ChatRole.Tool, [new FunctionResultContent("call_1", new { answer = "a cat" })]),
            new(ChatRole.Assistant, "A cat."),
        ];

        var body = await SentBody("vllm", messages, new ChatOptions { Instructions = "Answer in English." });
        var sent = body.GetProperty("messages").EnumerateArray().ToList();

        Assert.Equal(["system", "system", "user", "assistant", "tool", "assistant"], sent.Select(m => m.GetProperty("role").GetString()));
        Assert.Equal("Answer in English.", sent[0].GetProperty("content").GetString());
        var parts = sent[2].GetProperty("content").EnumerateArray().ToList();
        Assert.Equal(["text", "image_url", "image_url"], parts.Select(p => p.GetProperty("type").GetString()));
        Assert.Equal("https://example.invalid/cat.png", parts[1].GetProperty("image_url").GetProperty("url").GetString());
        Assert.StartsWith("data:image/png;base64,", parts[2].GetProperty("image_url").GetProperty("url").GetString());
        var call = sent[3].GetProperty("tool_calls")[0];
        Assert.Equal(("call_1", "lookup"), (call.GetProperty("id").GetString(), call.GetProperty("function").GetProperty("name").GetString()));
        Assert.Equal("cat", JsonDocument.Parse(call.GetProperty("function").GetProperty("arguments").GetString()!).RootElement.GetProperty("q").GetString());
        Assert.Equal(JsonValueKind.Null, sent[3].GetProperty("content").ValueKind);
        Assert.Equal("call_1", sent[4].GetProperty("tool_call_id").GetString());
        Assert.Contains("a cat", sent[4].GetProperty("content").GetString());
    }

    [Fact]
    public async Task Tools_AndToolMode_AreSent_AndToolCallsRead()
    {
        Server.Enqueue(Respond.Json("""
            {"id":"x","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"finish_reason":"tool_calls",
             "message":{"role":"assistant","content":null,"tool_calls":[{"id":"call_9","type":"function","function":{"name":"add","arguments":"{\"a\":1,\"b\":2}"}}]}}]}
            """));
        var options = new ChatOptions { Tools = [AIFunctionFactory.Create((int a, int b) => a + b, "add", "Adds")], ToolMode = ChatToolMode.RequireSpecific("add") };

        var response = await Client("vllm").GetResponseAsync(Hello, options);

        var body = JsonDocument.Parse(Server.Requests[0].Body).RootElement;
        var tool = body.GetProperty("tools")[0];
        Assert.Equal(("function", "add"), (tool.GetProperty("type").GetString(), tool.GetProperty("function").GetProperty("name").GetString()));
        Assert.Equal("object", tool.GetProperty("function").GetProperty("parameters").GetProperty("type").GetString());
        Assert.Equal("add", body.GetProperty("tool_choice").GetProperty("function").GetProperty("name").GetString());
        var call = Assert.Single(response.Messages[0].Contents.OfType<FunctionCallContent>());
        Assert.Equal(("call_9", "add"), (call.CallId, call.Name));
        Assert.Equal("1", call.Arguments!["a"]!.ToString());
        Assert.Equal(ChatFinishReason.ToolCalls, response.FinishReason);
    }

    [Fact]
    public async Task StreamedToolCallFragments_AreJoined()
    {
        Server.Enqueue(Respond.Sse("""
            data: {"id":"x","choices":[{"index":0,"delta":{"role":"assistant","tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"add","arguments":""}}]},"finish_reason":null}]}

            data: {"id":"x","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"a\":"}}]},"finish_reason":null}]}

            data: {"id":"x","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"1}"}}]},"finish_reason":null}]}

            data: {"id":"x","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}

            data: [DONE]

            """));

        var updates = await ReadAll(Client("vllm").GetStreamingResponseAsync(Hello));

        var call = Assert.Single(updates.SelectMany(u => u.Contents).OfType<FunctionCallContent>());
        Assert.Equal(("call_1", "add", "1"), (call.CallId, call.Name, call.Arguments!["a"]!.ToString()));
    }

    [Fact]
    public async Task CachedTokens_AreRead()
    {
        Server.Enqueue(Respond.File(Fixture.Path("openai", "chat-completion.json")));

        var response = await Client("openai").GetResponseAsync(Hello);

        Assert.NotNull(response.Usage!.CachedInputTokenCount);
    }

    [Fact]
    public async Task UnsupportedContent_IsRefusedNotDropped()
    {
        ChatMessage[] audio = [new(ChatRole.User, [new DataContent(new byte[] { 1 }, "audio/wav")])];

        var error = await Assert.ThrowsAsync<NotSupportedException>(() => Client("vllm").GetResponseAsync(audio));

        Assert.Contains("audio/wav", error.Message);
        Assert.Empty(Server.Requests);
    }
}
