namespace HybridInference.OpenAI.Tests;

/// <summary>
/// Every dialect's recorded context-length rejection is a <see cref="ContextWindowExceededException"/> with both sizes,
/// from the server's fields (llama.cpp's <c>n_prompt_tokens</c>, <c>n_ctx</c>) or its words; plain, and inside a 200 stream.
/// </summary>
public sealed class ContextRejectionSizesTests : ServerTestBase
{
    public static TheoryData<string, string, int, int> Rejections() => new()
    {
        { "llamacpp", "error-context-length-exceeded.400.json", 5274, 4096 },
        { "llamacpp", "error-context-length-exceeded-input.400.json", 9000, 8192 },
        { "vllm", "error-context-length-exceeded.400.json", 5000, 4096 },
        { "vllm", "error-context-length-exceeded-legacy-flat.400.json", 5024, 4096 },
        { "vllm", "error-max-tokens-too-large.400.json", 4524, 4096 },
        { "tgi", "error-context-length-exceeded.422.json", 4200, 4096 },
        { "tgi", "error-input-too-long.422.json", 4096, 4095 },
        { "openai", "error-context-length-exceeded.400.json", 130000, 128000 },
    };

    [Theory]
    [MemberData(nameof(Rejections))]
    public async Task Rejection_IsContextWindowExceeded_WithBothSizes(string provider, string file, int required, int window)
    {
        Server.Default = Respond.File(Fixture.Path(provider, file));

        var plain = await Assert.ThrowsAsync<ContextWindowExceededException>(() => Client(provider).GetResponseAsync(Hello));
        var streamed = await Assert.ThrowsAsync<ContextWindowExceededException>(() => ReadAll(Client(provider).GetStreamingResponseAsync(Hello)));

        Assert.Equal((required, window), (plain.RequiredTokens, plain.ContextWindow));
        Assert.Equal((required, window), (streamed.RequiredTokens, streamed.ContextWindow));
        Assert.Contains($"Backend '{provider}' rejected the prompt as too long", plain.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tgi_RejectionInsideA200Stream_IsContextWindowExceeded_WithBothSizes()
    {
        Server.Default = Respond.File(Fixture.Path("tgi", "chat-completion-stream-error.sse"));

        var error = await Assert.ThrowsAsync<ContextWindowExceededException>(() => ReadAll(Client("tgi").GetStreamingResponseAsync(Hello)));

        Assert.Equal((4200, 4096), (error.RequiredTokens, error.ContextWindow));
    }

    [Theory]
    [InlineData("""{"error":{"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error"}}""", null, null)]
    [InlineData("""{"error":{"code":400,"message":"request (70000 tokens) exceeds the available context size (65536 tokens), try increasing it","type":"exceed_context_size_error"}}""", 70000, 65536)]
    [InlineData("""{"error":{"message":"This model's maximum context length is 8192 tokens.","type":"invalid_request_error","code":"context_length_exceeded"}}""", null, 8192)]
    public async Task SizesTheServerDoesNotSay_AreNull(string body, int? required, int? window)
    {
        Server.Default = Respond.Json(body, status: 400);

        var error = await Assert.ThrowsAsync<ContextWindowExceededException>(() => Client("llamacpp").GetResponseAsync(Hello));

        Assert.Equal((required, window), (error.RequiredTokens, error.ContextWindow));
    }
}
