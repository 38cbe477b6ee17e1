using System.Text.Json;

namespace HybridInference.OpenAI.Tests;

/// <summary>Each server's real wire format, replayed over HTTP on 127.0.0.1: plain and streamed answers.</summary>
public sealed class DialectReplayTests : ServerTestBase
{
    private const string Answer = "Hello! How can I help you today?";

    [Theory]
    [InlineData("vllm", "Qwen/Qwen2.5-7B-Instruct")]
    [InlineData("ollama", "llama3.2:latest")]
    [InlineData("llamacpp", "gpt-3.5-turbo")]
    [InlineData("tgi", "meta-llama/Llama-3.1-8B-Instruct")]
    [InlineData("localai", "llama-3.2-3b-instruct")]
    [InlineData("openai", "gpt-4o-2024-08-06")]
    public async Task Completion_ReadsTextUsageModelAndFinishReason(string provider, string model)
    {
        Server.Enqueue(Respond.File(Fixture.Path(provider, "chat-completion.json")));

        var response = await Client(provider).GetResponseAsync(Hello);

        Assert.Equal(Answer, response.Text);
        Assert.Equal((12L, 9L, 21L), (response.Usage!.InputTokenCount!.Value, response.Usage.OutputTokenCount!.Value, response.Usage.TotalTokenCount!.Value));
        Assert.Equal(model, response.ModelId);
        Assert.Equal(ChatFinishReason.Stop, response.FinishReason);
        var request = Assert.Single(Server.Requests);
        Assert.Equal(("POST", "/v1/chat/completions"), (request.Method, request.Path));
        using var body = JsonDocument.Parse(request.Body);
        Assert.Equal("test-model", body.RootElement.GetProperty("model").GetString());
        Assert.Equal("Say hello", body.RootElement.GetProperty("messages")[0].GetProperty("content").GetString());
        Assert.False(body.RootElement.TryGetProperty("stream", out _));
    }

    [Theory]
    [InlineData("vllm", "chat-completion-stream.sse")]
    [InlineData("ollama", "chat-completion-stream.sse")]
    [InlineData("ollama", "chat-completion-stream-legacy.sse")]
    [InlineData("llamacpp", "chat-completion-stream.sse")]
    [InlineData("tgi", "chat-completion-stream.sse")]
    [InlineData("localai", "chat-completion-stream.sse")]
    [InlineData("openai", "chat-completion-stream.sse")]
    public async Task Stream_YieldsTheTextThenTheUsage_AndAsksForUsage(string provider, string file)
    {
        Server.Enqueue(Respond.File(Fixture.Path(provider, file)));

        var updates = await ReadAll(Client(provider).GetStreamingResponseAsync(Hello));

        Assert.Equal(Answer, string.Concat(updates.Select(u => u.Text)));
        var usage = updates.SelectMany(u => u.Contents).OfType<UsageContent>().Single().Details;
        Assert.Equal((12L, 9L), (usage.InputTokenCount!.Value, usage.OutputTokenCount!.Value));
        Assert.Equal(ChatFinishReason.Stop, updates.Single(u => u.FinishReason is not null).FinishReason);
        Assert.Equal(Answer, updates.ToChatResponse().Text);

        using var body = JsonDocument.Parse(Assert.Single(Server.Requests).Body);
        Assert.True(body.RootElement.GetProperty("stream").GetBoolean());
        Assert.True(body.RootElement.GetProperty("stream_options").GetProperty("include_usage").GetBoolean());
    }

    [Fact]
    public async Task LlamaCpp_StreamWithoutUsage_TimingsOnTheFinishChunk_StillComplete()
    {
        Server.Enqueue(Respond.File(Fixture.Path("llamacpp", "chat-completion-stream-no-usage.sse")));

        var updates = await ReadAll(Client("llamacpp").GetStreamingResponseAsync(Hello));

        Assert.Equal(Answer, string.Concat(updates.Select(u => u.Text)));
        Assert.Empty(updates.SelectMany(u => u.Contents).OfType<UsageContent>());
    }

    [Fact]
    public async Task Tgi_EmptyIdsBecomeNoIds_AndNullUsageOnEveryChunkIsIgnored()
    {
        Server.Enqueue(Respond.File(Fixture.Path("tgi", "chat-completion.json")));
        Server.Enqueue(Respond.File(Fixture.Path("tgi", "chat-completion-stream.sse")));
        var client = Client("tgi");

        var response = await client.GetResponseAsync(Hello);
        var updates = await ReadAll(client.GetStreamingResponseAsync(Hello));

        Assert.Null(response.ResponseId);
        Assert.All(updates, u => Assert.Null(u.ResponseId));
        Assert.Single(updates.SelectMany(u => u.Contents).OfType<UsageContent>());
    }

    [Fact]
    public async Task Ollama_RepeatingIds_DoNotMergeSeparateAnswers()
    {
        Server.Enqueue(Respond.File(Fixture.Path("ollama", "chat-completion-stream.sse")));
        Server.Enqueue(Respond.File(Fixture.Path("ollama", "chat-completion-stream.sse")));
        var client = Client("ollama");

        var first = (await ReadAll(client.GetStreamingResponseAsync(Hello))).ToChatResponse();
        var second = (await ReadAll(client.GetStreamingResponseAsync(Hello))).ToChatResponse();

        // Ollama reuses "chatcmpl-417" (a random int 0..998): each call still reads as one whole answer.
        Assert.Equal(Answer, first.Text);
        Assert.Equal(Answer, second.Text);
        Assert.Equal(first.ResponseId, second.ResponseId);
    }

    [Theory]
    [InlineData("reasoning_content")]
    [InlineData("reasoning")]
    public async Task ReasoningText_UnderEitherName_BecomesReasoningContent(string field)
    {
        var body = Fixture.Read("vllm", "chat-completion.json").Replace("\"reasoning_content\":null", $"\"{field}\":\"The user greets me.\"", StringComparison.Ordinal);
        Server.Enqueue(Respond.Json(body));
        var chunk = $$"""data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"{{field}}":"Thinking"},"finish_reason":null}]}""";
        Server.Enqueue(Respond.Sse(chunk + "\n\n" + """data: {"id":"x","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":"stop"}]}""" + "\n\ndata: [DONE]\n\n"));
        var client = Client("vllm");

        var response = await client.GetResponseAsync(Hello);
        var updates = await ReadAll(client.GetStreamingResponseAsync(Hello));

        Assert.Equal("The user greets me.", response.Messages[0].Contents.OfType<TextReasoningContent>().Single().Text);
        Assert.Equal(Answer, response.Text);
        Assert.Equal("Thinking", updates.SelectMany(u => u.Contents).OfType<TextReasoningContent>().Single().Text);
        Assert.Equal("Hi", string.Concat(updates.Select(u => u.Text)));
    }

    [Fact]
    public async Task LlamaServer_ClosesTheConnectionAfterEachStream_NextRequestStillSucceeds()
    {
        // Seen on a real llama-server: "Connection: keep-alive" in the headers, then the connection is closed, so the
        // next request on the pooled connection dies before it is answered.
        Server.Default = Respond.SseOncePerConnection(Fixture.Read("llamacpp", "chat-completion-stream.sse"));

        var client = Client("llamacpp");
        for (var i = 0; i < 3; i++)
        {
            var updates = await ReadAll(client.GetStreamingResponseAsync(Hello));
            Assert.Equal(Answer, string.Concat(updates.Select(u => u.Text)));
        }

        Assert.Equal(5, Server.Requests.Count); // Three answers, and two requests dropped on a used connection and retried.
    }

    [Fact]
    public async Task SlowFirstByte_IsWaitedFor()
    {
        Server.Enqueue(Respond.Sse(Fixture.Read("vllm", "chat-completion-stream.sse"), firstByteDelay: TimeSpan.FromMilliseconds(300)));

        var updates = await ReadAll(Client("vllm").GetStreamingResponseAsync(Hello));

        Assert.Equal(Answer, string.Concat(updates.Select(u => u.Text)));
    }

    [Theory]
    [InlineData("ollama", "models.json", 2)]
    [InlineData("ollama", "models-empty.json", 0)]
    [InlineData("vllm", "models.json", 1)]
    [InlineData("llamacpp", "models.json", 1)]
    [InlineData("tgi", "models.json", 1)]
    [InlineData("localai", "models.json", 2)]
    [InlineData("openai", "models.json", 2)]
    public async Task ListModels_ReadsEachShape_IncludingOllamasNullData(string provider, string file, int count)
    {
        Server.Enqueue(Respond.File(Fixture.Path(provider, file)));

        var models = await Client(provider).ListModelsAsync();

        Assert.Equal(count, models.Count);
        Assert.Equal("/v1/models", Assert.Single(Server.Requests).Path);
    }
}
