namespace HybridInference.OpenAI.Tests;

/// <summary>Every error a server sends becomes the typed failure the chain acts on.</summary>
public sealed class ErrorMappingTests : ServerTestBase
{
    [Theory]
    // Context-length rejections: 400 (OpenAI, vLLM new and legacy, llama.cpp) and 422 (TGI).
    [InlineData("openai", "error-context-length-exceeded.400.json")]
    [InlineData("vllm", "error-context-length-exceeded.400.json")]
    [InlineData("vllm", "error-context-length-exceeded-legacy-flat.400.json")]
    [InlineData("vllm", "error-max-tokens-too-large.400.json")]
    [InlineData("llamacpp", "error-context-length-exceeded.400.json")]
    [InlineData("tgi", "error-context-length-exceeded.422.json")]
    [InlineData("tgi", "error-input-too-long.422.json")]
    public async Task ContextLengthRejection_IsContextWindowExceeded(string provider, string file)
    {
        Server.Enqueue(Respond.File(Fixture.Path(provider, file)));

        var error = await Assert.ThrowsAsync<ContextWindowExceededException>(() => Client(provider).GetResponseAsync(Hello));

        Assert.Contains(provider, error.Message);
    }

    [Theory]
    [InlineData("openai", "error-rate-limited.429.json", BackendErrorKind.RateLimited, 429)]
    [InlineData("openai", "error-model-not-found.404.json", BackendErrorKind.NotFound, 404)]
    [InlineData("openai", "error-invalid-response-format.400.json", BackendErrorKind.BadRequest, 400)]
    [InlineData("vllm", "error-model-not-found.404.json", BackendErrorKind.NotFound, 404)]
    [InlineData("vllm", "error-model-not-found-legacy-flat.404.json", BackendErrorKind.NotFound, 404)]
    [InlineData("vllm", "error-invalid-response-format.400.json", BackendErrorKind.BadRequest, 400)]
    [InlineData("ollama", "error-model-not-found.404.json", BackendErrorKind.NotFound, 404)]
    [InlineData("ollama", "error-server-busy.503.json", BackendErrorKind.ServerError, 503)]
    [InlineData("ollama", "error-invalid-format.500.json", BackendErrorKind.ServerError, 500)]
    [InlineData("ollama", "error-empty-messages.400.json", BackendErrorKind.BadRequest, 400)]
    [InlineData("llamacpp", "error-loading-model.503.json", BackendErrorKind.ModelLoading, 503)]
    [InlineData("llamacpp", "error-invalid-api-key.401.json", BackendErrorKind.Unauthorized, 401)]
    [InlineData("llamacpp", "error-invalid-response-format.400.json", BackendErrorKind.BadRequest, 400)]
    [InlineData("llamacpp", "error-invalid-response-format-older.500.json", BackendErrorKind.ServerError, 500)]
    [InlineData("llamacpp", "error-model-not-found-router.400.json", BackendErrorKind.BadRequest, 400)]
    [InlineData("tgi", "error-overloaded.429.json", BackendErrorKind.RateLimited, 429)]
    [InlineData("tgi", "error-unhealthy.503.json", BackendErrorKind.ServerError, 503)]
    [InlineData("tgi", "error-tools-and-response-format.422.json", BackendErrorKind.BadRequest, 422)]
    [InlineData("tgi", "error-invalid-response-format.422.txt", BackendErrorKind.BadRequest, 422)]
    [InlineData("localai", "error-model-loading.503.json", BackendErrorKind.ModelLoading, 503)]
    [InlineData("localai", "error-backend-failure.500.json", BackendErrorKind.ServerError, 500)]
    [InlineData("localai", "error-bad-request.400.json", BackendErrorKind.BadRequest, 400)]
    [InlineData("localai", "error-model-not-found.404.json", BackendErrorKind.NotFound, 404)]
    public async Task ErrorBody_OfEveryShape_BecomesABackendExceptionWithTheServersMessage(string provider, string file, BackendErrorKind kind, int status)
    {
        Server.Enqueue(Respond.File(Fixture.Path(provider, file)));

        var error = await Assert.ThrowsAsync<BackendException>(() => Client(provider).GetResponseAsync(Hello));

        Assert.Equal((kind, status), (error.Kind, error.StatusCode));
        Assert.DoesNotContain("HTTP " + status, error.Message); // The server's own words, not a placeholder.
    }

    [Fact]
    public async Task RateLimited_WithRetryAfterHeader_CarriesTheDelay()
    {
        Server.Enqueue(Respond.File(Fixture.Path("tgi", "error-overloaded.429.json"), r => r.Headers.RetryAfter = "7"));
        Server.Enqueue(Respond.File(Fixture.Path("openai", "error-rate-limited.429.json")));
        var client = Client("openai");

        var fromHeader = await Assert.ThrowsAsync<BackendException>(() => client.GetResponseAsync(Hello));
        var fromMessage = await Assert.ThrowsAsync<BackendException>(() => client.GetResponseAsync(Hello));

        Assert.Equal(TimeSpan.FromSeconds(7), fromHeader.RetryAfter);
        Assert.Equal(TimeSpan.FromSeconds(5.352), fromMessage.RetryAfter);
    }

    [Theory]
    [InlineData("vllm", "chat-completion-stream-error.sse", "Internal server error")]
    [InlineData("localai", "chat-completion-stream-error.sse", "rpc error")]
    [InlineData("llamacpp", "chat-completion-stream-error.sse", "after streaming started")]
    public async Task ErrorInsideA200Stream_IsAStreamErrorAfterTheTextBeforeIt(string provider, string file, string message)
    {
        Server.Enqueue(Respond.File(Fixture.Path(provider, file)));
        var received = new List<string>();

        var error = await Assert.ThrowsAsync<BackendException>(async () =>
        {
            await foreach (var update in Client(provider).GetStreamingResponseAsync(Hello))
            {
                received.Add(update.Text);
            }
        });

        Assert.Equal(BackendErrorKind.StreamError, error.Kind);
        Assert.Contains(message, error.Message);
        Assert.Equal("Hello", string.Concat(received));
    }

    [Fact]
    public async Task Tgi_ValidationErrorInsideA200Stream_IsAContextWindowRejection()
    {
        Server.Enqueue(Respond.File(Fixture.Path("tgi", "chat-completion-stream-error.sse")));

        await Assert.ThrowsAsync<ContextWindowExceededException>(() => ReadAll(Client("tgi").GetStreamingResponseAsync(Hello)));
    }

    [Fact]
    public async Task ErrorBeforeTheStreamStarts_IsTheHttpError()
    {
        Server.Enqueue(Respond.File(Fixture.Path("llamacpp", "error-loading-model.503.json")));

        var error = await Assert.ThrowsAsync<BackendException>(() => ReadAll(Client("llamacpp").GetStreamingResponseAsync(Hello)));

        Assert.Equal(BackendErrorKind.ModelLoading, error.Kind);
    }

    [Fact]
    public async Task ConnectionRefused_IsUnavailable()
    {
        var closed = await LoopbackServer.StartAsync();
        var endpoint = closed.V1;
        await closed.DisposeAsync();
        var client = new OpenAICompatibleChatClient(new() { Provider = "vllm", Endpoint = endpoint });

        var error = await Assert.ThrowsAsync<BackendException>(() => client.GetResponseAsync(Hello));

        Assert.Equal(BackendErrorKind.Unavailable, error.Kind);
    }

    [Fact]
    public async Task NoAnswerInTime_IsTimeout()
    {
        Server.Enqueue(Respond.Slow(TimeSpan.FromSeconds(10), "{}"));
        var client = new OpenAICompatibleChatClient(new() { Provider = "vllm", Endpoint = Server.V1, Timeout = TimeSpan.FromMilliseconds(200) });

        var error = await Assert.ThrowsAsync<BackendException>(() => client.GetResponseAsync(Hello));

        Assert.Equal(BackendErrorKind.Timeout, error.Kind);
    }

    [Fact]
    public async Task CallerCancellation_IsACancellationNotABackendFailure()
    {
        Server.Enqueue(Respond.Slow(TimeSpan.FromSeconds(10), "{}"));
        using var cts = new CancellationTokenSource(TimeSpan.FromMilliseconds(200));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Client("vllm").GetResponseAsync(Hello, null, cts.Token));
    }

    [Fact]
    public async Task DisconnectMidStream_IsDisconnected_AfterWhatArrived()
    {
        Server.Enqueue(Respond.Sse(Fixture.Read("vllm", "chat-completion-stream.sse"), abortAfterEvents: 3));
        var received = new List<string>();

        var error = await Assert.ThrowsAsync<BackendException>(async () =>
        {
            await foreach (var update in Client("vllm").GetStreamingResponseAsync(Hello))
            {
                received.Add(update.Text);
            }
        });

        Assert.Equal(BackendErrorKind.Disconnected, error.Kind);
        Assert.StartsWith("Hello", string.Concat(received));
    }

    [Fact]
    public async Task StreamEndingWithoutFinishOrDone_IsDisconnected()
    {
        var events = Fixture.Read("vllm", "chat-completion-stream.sse").Split("\n\n")[..3];
        Server.Enqueue(Respond.Sse(string.Join("\n\n", events) + "\n\n"));

        var error = await Assert.ThrowsAsync<BackendException>(() => ReadAll(Client("vllm").GetStreamingResponseAsync(Hello)));

        Assert.Equal(BackendErrorKind.Disconnected, error.Kind);
    }

    [Theory]
    [InlineData("this is not json")]
    [InlineData("{\"choices\": []}")]
    [InlineData("{\"choices\": [{\"index\": 0}]}")]
    [InlineData("")]
    public async Task MalformedBody_IsMalformedResponse(string body)
    {
        Server.Enqueue(Respond.Json(body));

        var error = await Assert.ThrowsAsync<BackendException>(() => Client("vllm").GetResponseAsync(Hello));

        Assert.Equal(BackendErrorKind.MalformedResponse, error.Kind);
    }

    [Fact]
    public async Task MalformedStreamEvent_IsMalformedResponse()
    {
        Server.Enqueue(Respond.Sse("data: {\"choices\": [\n\ndata: [DONE]\n\n"));

        var error = await Assert.ThrowsAsync<BackendException>(() => ReadAll(Client("vllm").GetStreamingResponseAsync(Hello)));

        Assert.Equal(BackendErrorKind.MalformedResponse, error.Kind);
    }

    [Fact]
    public async Task ApiKey_IsSentAsBearer_AndNeverAppearsInErrors()
    {
        const string Key = "sk-sentinel-0123456789";
        Server.Enqueue(Respond.Json("""{"error":{"message":"Incorrect API key provided: KEY","type":"invalid_request_error","code":"invalid_api_key"}}""".Replace("KEY", Key, StringComparison.Ordinal), 401));

        var error = await Assert.ThrowsAsync<BackendException>(() => Client("openai", apiKey: Key).GetResponseAsync(Hello));

        Assert.Equal($"Bearer {Key}", Server.Requests[0].Header("Authorization"));
        Assert.DoesNotContain(Key, error.ToString());
        Assert.Contains("***", error.Message);
    }

    [Fact]
    public async Task NoApiKey_SendsNoAuthorizationHeader()
    {
        Server.Enqueue(Respond.File(Fixture.Path("ollama", "chat-completion.json")));

        await Client("ollama").GetResponseAsync(Hello);

        Assert.Null(Server.Requests[0].Header("Authorization"));
    }
}
