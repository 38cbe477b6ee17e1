using System.Text.Json;

namespace HybridInference.OpenAI.Tests.Tokenize;

/// <summary>
/// The server's own token count over loopback, per dialect, in each server's wire form: vLLM and TGI count the whole
/// chat in one call; llama.cpp and LocalAI count each text once (cached) plus the template's tokens, which llama.cpp
/// measures once with <c>/apply-template</c>; errors are typed, a 404 as <see cref="BackendErrorKind.NotFound"/>.
/// </summary>
public sealed class ServerTokenCounterTests : ServerTestBase
{
    private static readonly ChatMessage[] History =
    [
        new(ChatRole.System, "You are terse."),
        new(ChatRole.User, "Summarise the report below please"),
        new(ChatRole.Assistant, "Sure"),
        new(ChatRole.User, "Thanks a lot"),
    ];

    [Fact]
    public async Task Vllm_CountsTheWholeChatOnTokenize_WithTheGenerationPrompt()
    {
        Server.Default = Respond.File(Fixture.Path("vllm", "tokenize-chat.json"));

        var count = await Counter("vllm").CountPromptTokensAsync(History, new ChatOptions { Instructions = "Be brief.", Temperature = 0.2f, MaxOutputTokens = 99 });

        Assert.Equal(27, count);
        var request = Assert.Single(Server.Requests);
        Assert.Equal(("POST", "/tokenize"), (request.Method, request.Path));
        using var body = JsonDocument.Parse(request.Body);
        Assert.Equal("test-model", body.RootElement.GetProperty("model").GetString());
        Assert.True(body.RootElement.GetProperty("add_generation_prompt").GetBoolean());
        var messages = body.RootElement.GetProperty("messages").EnumerateArray().Select(m => (m.GetProperty("role").GetString(), m.GetProperty("content").GetString())).ToList();
        Assert.Equal([("system", "Be brief."), ("system", "You are terse."), ("user", "Summarise the report below please"), ("assistant", "Sure"), ("user", "Thanks a lot")], messages);
        Assert.False(body.RootElement.TryGetProperty("max_tokens", out _)); // nothing that only shapes an answer
        Assert.False(body.RootElement.TryGetProperty("temperature", out _));
        Assert.False(body.RootElement.TryGetProperty("stream", out _));
    }

    [Fact]
    public async Task Tgi_CountsTheWholeChatOnChatTokenize()
    {
        Server.Default = Respond.File(Fixture.Path("tgi", "chat-tokenize.json"));

        var count = await Counter("tgi").CountPromptTokensAsync(History, null);

        Assert.Equal(13, count);
        var request = Assert.Single(Server.Requests);
        Assert.Equal("/chat_tokenize", request.Path);
        using var body = JsonDocument.Parse(request.Body);
        Assert.Equal(4, body.RootElement.GetProperty("messages").GetArrayLength());
        Assert.False(body.RootElement.TryGetProperty("add_generation_prompt", out _)); // a vLLM field; TGI's chat request has none
    }

    [Fact]
    public async Task LlamaCpp_CountsEachTextOnce_PlusTheTemplateMeasuredOnce()
    {
        Server.Default = TokenizeServers.LlamaCpp();
        var counter = Counter("llamacpp");

        var count = await counter.CountPromptTokensAsync(History, null);

        // Probes ("Count me." is 2 words): [u] renders "<s>[INST] Count me. [/INST]", 4 words + BOS = 5, so the first
        // message costs 3 besides its text; [u,a,u] is 12, so a further message costs (12-5-4)/2 = 1.5, rounded up to 2;
        // [s,u] is 9, so a system message costs 9-5-2 = 2. The texts are 3+5+1+3 = 12 words: 12 + 3 + 2 + 2*2 = 21
        // (the rendered chat itself is 20: the count errs by the half token per message it rounds up, never under).
        Assert.Equal(21, count);
        Assert.Equal(1 + 6 + 4, Server.Requests.Count); // the probe text, three probes (render + count), four texts
        Assert.Equal(3, Server.Requests.Count(r => r.Path == "/apply-template"));
        Assert.All(Server.Requests.Where(r => r.Path == "/tokenize"), r => Assert.DoesNotContain("\"model\"", r.Body, StringComparison.Ordinal));

        // The next turn resends the history: only the new message is counted, and the template is not measured again.
        var next = await counter.CountPromptTokensAsync([.. History, new(ChatRole.Assistant, "Done"), new(ChatRole.User, "And the totals")], null);

        Assert.Equal(21 + 1 + 3 + (2 * 2), next);
        Assert.Equal(11 + 2, Server.Requests.Count);
    }

    [Fact]
    public async Task LlamaCpp_WithoutApplyTemplate_AssumesTheTemplatesTokens()
    {
        Server.Default = TokenizeServers.LlamaCpp(applyTemplate: false);

        var count = await Counter("llamacpp").CountPromptTokensAsync(History, null);

        Assert.Equal(12 + 8 + 4 + (4 * 2), count); // the texts, then the assumed first, system and further messages
    }

    [Fact]
    public async Task LocalAI_CountsEachTextWithTheModel_AndTheAssumedTemplate()
    {
        Server.Default = TokenizeServers.LocalAI();

        var count = await Counter("localai").CountPromptTokensAsync(History, null);

        Assert.Equal(12 + 8 + 4 + (4 * 2), count);
        Assert.Equal(4, Server.Requests.Count);
        Assert.All(Server.Requests, r => Assert.Equal("/v1/tokenize", r.Path));
        using var body = JsonDocument.Parse(Server.Requests[0].Body);
        Assert.Equal("test-model", body.RootElement.GetProperty("model").GetString());
        Assert.Equal("You are terse.", body.RootElement.GetProperty("content").GetString());
    }

    [Theory]
    [InlineData("llamacpp", "tokenize.json", 2 + 8)]
    [InlineData("localai", "tokenize.json", 2 + 8)]
    public async Task TextServers_ReadTheirFixturesTokenList(string provider, string file, int expected)
    {
        // Each text answers the fixture's two tokens; apply-template is missing here, so the assumed template is added.
        Server.Default = context => context.Request.Path.Value!.EndsWith("tokenize", StringComparison.Ordinal)
            ? Respond.File(Fixture.Path(provider, file))(context)
            : Respond.File(Fixture.Path("llamacpp", "error-not-found-route.404.json"))(context);

        Assert.Equal(expected, await Counter(provider).CountPromptTokensAsync([new(ChatRole.User, "Hello world")], null));
    }

    [Theory]
    [InlineData("vllm", "vllm", "error-model-not-found.404.json")]
    [InlineData("tgi", "tgi", "error-no-fast-tokenizer.404.json")]
    [InlineData("llamacpp", "llamacpp", "error-not-found-route.404.json")]
    [InlineData("localai", "localai", "error-route-not-found.404.json")]
    public async Task MissingEndpoint_IsNotFound(string provider, string fixtures, string file)
    {
        Server.Default = Respond.File(Fixture.Path(fixtures, file));

        var error = await Assert.ThrowsAsync<BackendException>(async () => await Counter(provider).CountPromptTokensAsync(History, null));

        Assert.Equal(BackendErrorKind.NotFound, error.Kind);
    }

    [Theory]
    [InlineData("vllm")]
    [InlineData("llamacpp")]
    public async Task ServerError_AndUnreadableAnswer_AreBackendExceptions(string provider)
    {
        Server.Enqueue(Respond.Json("""{"error":{"message":"boom","type":"server_error","code":500}}""", 500));
        var failed = await Assert.ThrowsAsync<BackendException>(async () => await Counter(provider).CountPromptTokensAsync(History, null));
        Assert.Equal(BackendErrorKind.ServerError, failed.Kind);

        Server.Enqueue(Respond.Text("<html>not json</html>"));
        var unreadable = await Assert.ThrowsAsync<BackendException>(async () => await Counter(provider).CountPromptTokensAsync(History, null));
        Assert.Equal(BackendErrorKind.MalformedResponse, unreadable.Kind);
    }

    [Theory]
    [InlineData("error-context-length-exceeded.400.json", 5000)]
    [InlineData("error-context-length-exceeded-legacy-flat.400.json", 5024)]
    public async Task Vllm_RefusingAChatLongerThanItsWindow_CountsItAsTheLengthItNames(string file, int expected)
    {
        Server.Default = Respond.File(Fixture.Path("vllm", file));

        Assert.Equal(expected, await Counter("vllm").CountPromptTokensAsync(History, null));
    }

    [Theory]
    [InlineData("ollama")]
    [InlineData("mlx")]
    [InlineData("openai-compatible")]
    public void DialectsWithoutATokenizeEndpoint_OfferNoServerCount(string provider) =>
        Assert.Null(Client(provider).GetService(typeof(IBackendTokenCounter)));

    private IBackendTokenCounter Counter(string provider) =>
        Assert.IsAssignableFrom<IBackendTokenCounter>(Client(provider).GetService(typeof(IBackendTokenCounter)));
}
