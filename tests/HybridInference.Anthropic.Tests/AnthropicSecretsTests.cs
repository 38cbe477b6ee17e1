using HybridInference.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HybridInference.Anthropic.Tests;

/// <summary>
/// Claude's errors over real HTTP: the key, echoed in any recognisable form, and every kind of text the request sent,
/// quoted back, reach no exception, log line or status.
/// </summary>
public sealed class AnthropicSecretsTests : IAsyncLifetime
{
    private readonly FakeLoggerProvider _logs = new();
    private LoopbackServer _server = null!;
    private ServiceProvider _services = null!;
    private IChatClient _chat = null!;

    public static TheoryData<string> KeyForms => Echoes.KeyFormNames();

    /// <summary>Every kind the Anthropic package puts on the wire (its requests carry no author name and no response schema).</summary>
    public static TheoryData<string> RequestKinds => Echoes.RequestKindNames("author name", "response schema");

    public async Task InitializeAsync()
    {
        _server = await LoopbackServer.StartAsync();
        _server.ProbesApart = true; // the backend's health probe (GET /v1/models) is answered apart from the messages
        _server.Probes = Respond.File(Path.Combine(AppContext.BaseDirectory, "Fixtures", "models.json"));
        var json = $$"""
            { "HybridInference": {
                "Routing": { "OnCloudUnavailable": { "Complex": "Fail" } },
                "Cloud": { "Backends": [ { "Name": "claude", "Provider": "anthropic", "Model": "claude-3-sonnet", "ApiKey": "{{Echoes.Key}}",
                                           "Endpoint": "{{_server.BaseAddress}}", "AllowInsecureHttp": true } ] } } }
            """;
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(_logs));
        services.AddHybridInference(JsonSettings.Parse(json).GetSection("HybridInference"))
            .AddLocalBackend("local", _ => new FakeChatClient("local"))
            .AddAnthropicProvider();
        _services = services.BuildServiceProvider();
        _chat = _services.GetRequiredService<IChatClient>();
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _server.DisposeAsync();
    }

    private static ChatOptions Complex(ChatOptions? options = null) => (options?.Clone() ?? new ChatOptions()).WithTaskCategory(TaskCategory.Complex);

    private static Func<Microsoft.AspNetCore.Http.HttpContext, Task> Error(string type, string message, int status) =>
        Respond.Json($$$"""{"type":"error","error":{"type":"{{{type}}}","message":"{{{message}}}"}}""", status);

    /// <summary>
    /// Sends complex work to Claude, which fails it. A caller's fault (400) comes back as Claude's error; the cloud
    /// being unavailable (401, 429, 5xx) fails complex work rather than degrading it to the local backend
    /// (<c>Routing:OnCloudUnavailable:Complex</c>), with Claude's error inside <see cref="CloudUnavailableException"/>,
    /// whose own message must not carry the key either.
    /// </summary>
    private async Task<BackendException> FailAsync(IEnumerable<ChatMessage> messages, ChatOptions? options, bool stream)
    {
        var error = !stream
            ? await Record.ExceptionAsync(() => _chat.GetResponseAsync(messages, Complex(options)))
            : await Record.ExceptionAsync(async () =>
            {
                await foreach (var update in _chat.GetStreamingResponseAsync(messages, Complex(options)))
                {
                }
            });
        if (error is CloudUnavailableException unavailable)
        {
            Assert.DoesNotContain(Echoes.Key, unavailable.Message);
            error = unavailable.InnerException;
        }

        return Assert.IsType<BackendException>(error);
    }

    [Theory]
    [MemberData(nameof(KeyForms))]
    public async Task KeyEchoedInAnyRecognisableForm_IsInNoExceptionLogLineOrStatus(string form)
    {
        var echoed = Echoes.KeyForms(Echoes.Key)[form];
        _server.Default = Error("authentication_error", $"invalid x-api-key: {Echoes.Escape(echoed)}", 401);

        var plain = await FailAsync([new(ChatRole.User, "Analyse this contract.")], null, stream: false);
        var streamed = await FailAsync([new(ChatRole.User, "Analyse this contract.")], null, stream: true);
        var status = _services.GetRequiredService<IHybridInferenceStatus>().GetStatus().Backends.Single(b => b.Name == "claude");

        Assert.Equal($"Bearer {Echoes.Key}", _server.Requests[0].Header("Authorization")); // The key was really sent...
        Assert.Equal((BackendErrorKind.Unauthorized, 401), (plain.Kind, plain.StatusCode));
        Assert.Equal("BackendException: Unauthorized 401", status.LastError);
        foreach (var text in _logs.Lines.Append(plain.ToString()).Append(streamed.ToString()))
        {
            Assert.DoesNotContain(echoed, text, StringComparison.OrdinalIgnoreCase); // ...and comes back in no form.
            Assert.DoesNotContain(Echoes.Key, text, StringComparison.OrdinalIgnoreCase);
        }

        Assert.Contains("invalid x-api-key: ", plain.Message, StringComparison.Ordinal);
        Assert.Contains("***", plain.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(RequestKinds))]
    public async Task RequestTextOfEveryKind_QuotedInA400_IsNotInTheException(string kind)
    {
        var request = Echoes.RequestKinds()[kind];
        _server.Default = Echoes.QuotingTheBody(request.Sentinel, quote => Error("invalid_request_error", $"messages: unexpected input near '{quote}'.", 400));

        var plain = await FailAsync(request.Messages, request.Options, stream: false);
        var streamed = await FailAsync(request.Messages, request.Options, stream: true);

        Assert.Contains(request.Sentinel, _server.Requests[0].Body, StringComparison.Ordinal); // It was sent...
        foreach (var error in new[] { plain, streamed })
        {
            Assert.Equal(BackendErrorKind.BadRequest, error.Kind);
            Assert.DoesNotContain(request.Sentinel, error.ToString(), StringComparison.Ordinal); // ...and is not quoted back.
            Assert.Contains("[prompt text]", error.Message, StringComparison.Ordinal);
        }
    }
}
