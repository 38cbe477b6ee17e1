using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;

namespace HybridInference.OpenAI.Tests;

/// <summary>
/// Sentinels through the whole chain over HTTP, failures included: the API key appears in no log line, exception or
/// span; the prompt appears in no log line or span, even when a server echoes it in an error.
/// </summary>
public sealed partial class SecretsTests
{
    private const string Key = "sk-SENTINEL-5f1e2d3c4b5a";

    /// <summary>The chain from configuration over a local and a cloud server, with every log line (Trace included) and span captured.</summary>
    private sealed class Observed : IAsyncDisposable
    {
        private readonly ServiceProvider _services;
        private readonly ActivityListener _listener;
        private readonly FakeLoggerProvider _logs = new();
        private readonly ConcurrentQueue<string> _spans = new();

        private Observed(LoopbackServer local, LoopbackServer cloud, string apiKey, Action<IServiceCollection>? configureApp, string cloudLane = "")
        {
            _listener = new ActivityListener
            {
                ShouldListenTo = _ => true,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
                ActivityStopped = a => _spans.Enqueue($"{a.DisplayName} {a.StatusDescription} {string.Join(", ", a.TagObjects.Select(t => $"{t.Key}={t.Value}"))}"),
            };
            ActivitySource.AddActivityListener(_listener);
            var json = $$"""
                { "HybridInference": {
                    "Local": { "Backends": [ { "Name": "vllm", "Provider": "vllm", "Endpoint": "{{local.V1}}" } ] },
                    "Cloud": { {{cloudLane}} "Backends": [ { "Name": "openai", "Provider": "openai", "Endpoint": "{{cloud.V1}}", "Model": "gpt-4o", "ApiKey": "{{apiKey}}", "AllowInsecureHttp": true } ] } } }
                """;
            var services = new ServiceCollection();
            services.AddLogging(b => b.SetMinimumLevel(LogLevel.Trace).AddProvider(_logs));
            configureApp?.Invoke(services);
            services.AddHybridInference(JsonSettings.Parse(json).GetSection("HybridInference"))
                .AddOpenAIProviders();
            _services = services.BuildServiceProvider();
            Chat = _services.GetRequiredService<IChatClient>();
        }

        public IChatClient Chat { get; }

        public IReadOnlyCollection<string> Logs => _logs.Lines;

        public IReadOnlyCollection<string> Spans => _spans;

        public IServiceProvider Services => _services;

        public static Observed Start(LoopbackServer local, LoopbackServer cloud, string apiKey, Action<IServiceCollection>? configureApp = null, string cloudLane = "") =>
            new(local, cloud, apiKey, configureApp, cloudLane);

        public async ValueTask DisposeAsync()
        {
            _listener.Dispose();
            await _services.DisposeAsync();
        }
    }

    [Fact]
    public async Task SentinelKey_AppearsInNoLogLineExceptionOrSpan()
    {
        await using var local = await LoopbackServer.StartAsync();
        await using var cloud = await LoopbackServer.StartAsync();
        local.Default = Respond.File(Fixture.Path("llamacpp", "error-loading-model.503.json"));
        cloud.Enqueue(Respond.File(Fixture.Path("openai", "chat-completion.json")));
        cloud.Default = Respond.Json("""{"error":{"message":"Incorrect API key provided: KEY","type":"invalid_request_error","code":"invalid_api_key"}}""".Replace("KEY", Key, StringComparison.Ordinal), 401);

        await using var observed = Observed.Start(local, cloud, Key);
        var (chat, logs, spans) = (observed.Chat, observed.Logs, observed.Spans);

        var errors = new List<Exception>();
        for (var i = 0; i < 4; i++)
        {
            try
            {
                await chat.GetResponseAsync("Summarize this.", new ChatOptions().WithTaskCategory(i % 2 == 0 ? TaskCategory.Routine : TaskCategory.Complex));
            }
            catch (Exception ex)
            {
                errors.Add(ex);
            }
        }

        Assert.Contains(cloud.Requests, r => r.Header("Authorization") == $"Bearer {Key}"); // The key was really used...
        Assert.NotEmpty(errors);
        Assert.NotEmpty(logs);
        Assert.NotEmpty(spans);
        Assert.DoesNotContain(logs, l => l.Contains(Key, StringComparison.Ordinal)); // ...and shows nowhere.
        Assert.DoesNotContain(errors, e => e.ToString().Contains(Key, StringComparison.Ordinal));
        Assert.DoesNotContain(spans, s => s.Contains(Key, StringComparison.Ordinal));
    }

    [Fact]
    public async Task SentinelKey_IsRedactedFromTheHttpClientHeaderLogs_WhenTheAppNamesItsOwnSensitiveHeaders()
    {
        // Since .NET 9 IHttpClientFactory redacts every header value by default, but an app that names its own
        // sensitive headers for all clients turns that off: the backends' clients must still hide their keys.
        await using var local = await LoopbackServer.StartAsync();
        await using var cloud = await LoopbackServer.StartAsync();
        cloud.Default = Respond.File(Fixture.Path("openai", "chat-completion.json"));
        await using var observed = Observed.Start(
            local, cloud, Key, services => services.ConfigureHttpClientDefaults(http => http.RedactLoggedHeaders(["X-Request-Secret"])));

        await observed.Chat.GetResponseAsync("Summarize this.", new ChatOptions().WithTaskCategory(TaskCategory.Complex));

        Assert.Contains(cloud.Requests, r => r.Header("Authorization") == $"Bearer {Key}");
        var headerLines = observed.Logs.Where(l => l.Contains("Request Headers", StringComparison.Ordinal)).ToList();
        Assert.Contains(headerLines, l => l.Contains("Authorization: *", StringComparison.Ordinal)); // The header was logged, its value hidden...
        Assert.Contains(headerLines, l => l.Contains("Content-Type: application/json", StringComparison.Ordinal)); // ...while the app's choice holds for the rest.
        Assert.DoesNotContain(observed.Logs, l => l.Contains(Key, StringComparison.Ordinal));
    }

    [Fact]
    public async Task SentinelPrompt_EchoedByAServerError_AppearsInNoLogLineOrSpan()
    {
        const string Prompt = "PROMPT-SENTINEL-9b8a7c";
        await using var local = await LoopbackServer.StartAsync();
        await using var cloud = await LoopbackServer.StartAsync();
        local.Default = Respond.Json("{\"error\":{\"message\":\"[{'type': 'literal_error', 'input': '" + Prompt + "'}]\",\"type\":\"Bad Request\",\"code\":400}}", 400);
        cloud.Default = Respond.File(Fixture.Path("openai", "chat-completion.json"));
        await using var observed = Observed.Start(local, cloud, "sk-x");
        var (logs, spans) = (observed.Logs, observed.Spans);

        // A 400 is the request's fault: it is not escalated (BadInputTests), and the error quotes no prompt either.
        var error = await Assert.ThrowsAsync<BackendException>(() => observed.Chat.GetResponseAsync(Prompt));

        Assert.Equal(BackendErrorKind.BadRequest, error.Kind);
        Assert.DoesNotContain(Prompt, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(logs, l => l.Contains(Prompt, StringComparison.Ordinal));
        Assert.DoesNotContain(spans, s => s.Contains(Prompt, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("{\"error\":{\"message\":\"Invalid input: 'QUOTE' is not allowed\",\"type\":\"BadRequestError\",\"code\":400}}", 400, 0, 64)]
    [InlineData("{\"error\":{\"message\":\"prompt too long, starts with: QUOTE...\",\"type\":\"BadRequestError\",\"code\":400}}", 400, 0, 30)]
    [InlineData("{\"error\":\"Input validation error: `inputs` QUOTE\",\"error_type\":\"validation\"}", 422, 0, 64)]
    [InlineData("{\"error\":{\"message\":\"Unexpected token near '...QUOTE...' at position 20\",\"type\":\"BadRequestError\",\"code\":400}}", 400, 20, 50)]
    [InlineData("{\"error\":{\"message\":\"[{'type': 'literal_error', 'input': 'QUOTE', 'ctx': 'QUOTE2'}]\",\"type\":\"Bad Request\",\"code\":400}}", 400, 24, 44)]
    public async Task APromptEchoedInAServerError_IsNotInTheExceptionMessage(string body, int status, int start, int end)
    {
        // The prompt is 64 characters; the sentinel stands at 24-44. Quotes: whole, its start, a fragment from the
        // middle, and two fragments (the second, QUOTE2, is the prompt's last 20 characters).
        const string Prompt = "Summarize the record of SENTINEL-PROMPT-4e1d for the ward round.";
        await using var local = await LoopbackServer.StartAsync();
        local.Default = Respond.Json(body.Replace("QUOTE2", Prompt[^20..], StringComparison.Ordinal).Replace("QUOTE", Prompt[start..end], StringComparison.Ordinal), status);
        var client = new OpenAICompatibleChatClient(new OpenAICompatibleChatClientOptions { Provider = "vllm", Endpoint = local.V1, Model = "m", Name = "local" });

        var error = await Assert.ThrowsAnyAsync<HybridInferenceException>(() => client.GetResponseAsync(Prompt));

        Assert.DoesNotContain("SENTINEL-PROMPT-4e1d", error.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain(Prompt[^20..], error.ToString(), StringComparison.Ordinal);
        Assert.Contains("[prompt text]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task APromptEchoedInAServerError_TheServersOwnWordsStay()
    {
        const string Prompt = "Please check the attached ward notes for SENTINEL-PROMPT-77aa and list the open actions.";
        await using var local = await LoopbackServer.StartAsync();
        local.Default = Respond.Json($$$"""{"error":{"message":"Invalid request: '{{{Prompt[30..70]}}}' contains an unsupported character at offset 12.","type":"BadRequestError","code":400}}""", 400);
        var client = new OpenAICompatibleChatClient(new OpenAICompatibleChatClientOptions { Provider = "vllm", Endpoint = local.V1, Model = "m", Name = "local" });

        var error = await Assert.ThrowsAsync<BackendException>(() => client.GetResponseAsync(Prompt));

        Assert.EndsWith("answered 400 (bad request): Invalid request: '[prompt text]' contains an unsupported character at offset 12.", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("vllm", "error-context-length-exceeded.400.json", "This model's maximum context length is 4096 tokens")]
    [InlineData("llamacpp", "error-context-length-exceeded.400.json", "exceeds the available context size")]
    public async Task APromptThatSharesTheErrorsWords_IsStillAContextLengthRejection(string server, string file, string phrase)
    {
        // The prompt quotes the very words the server uses: they are scrubbed from the message, but the error is
        // still read from the server's own text, so it stays a context-length rejection (which escalates).
        var prompt = $"Explain this error to me: \"{phrase}\". What should I change?";
        await using var local = await LoopbackServer.StartAsync();
        local.Default = Respond.File(Fixture.Path(server, file));
        var client = new OpenAICompatibleChatClient(new OpenAICompatibleChatClientOptions { Provider = server, Endpoint = local.V1, Model = "m", Name = "local" });

        var error = await Assert.ThrowsAsync<ContextWindowExceededException>(() => client.GetResponseAsync(prompt));

        Assert.Contains("[prompt text]", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(phrase, error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string> KeyForms => Echoes.KeyFormNames();

    public static TheoryData<string> RequestKinds => Echoes.RequestKindNames();

    private static Func<Microsoft.AspNetCore.Http.HttpContext, Task> InvalidKey(string echoed) => Respond.Json(
        $$$"""{"error":{"message":"Incorrect API key provided: {{{Echoes.Escape(echoed)}}}. You can find your API key at https://platform.openai.com/account/api-keys.","type":"invalid_request_error","code":"invalid_api_key"}}""",
        401);

    private static void AssertNoKey(string echoed, string text)
    {
        Assert.DoesNotContain(echoed, text, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain(Echoes.Key, text, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [MemberData(nameof(KeyForms))]
    public async Task KeyEchoedInAnyRecognisableForm_IsInNoExceptionOfTheClient(string form)
    {
        var echoed = Echoes.KeyForms(Echoes.Key)[form];
        await using var server = await LoopbackServer.StartAsync();
        server.Default = InvalidKey(echoed);
        var client = new OpenAICompatibleChatClient(new OpenAICompatibleChatClientOptions { Provider = "openai", Endpoint = server.V1, Model = "gpt-4o", ApiKey = Echoes.Key, Name = "openai" });

        var plain = await Assert.ThrowsAsync<BackendException>(() => client.GetResponseAsync("Summarize this."));
        var streamed = await Assert.ThrowsAsync<BackendException>(async () =>
        {
            await foreach (var update in client.GetStreamingResponseAsync("Summarize this."))
            {
            }
        });
        var listing = await Assert.ThrowsAsync<BackendException>(() => client.ListModelsAsync());
        var probe = await client.CheckHealthAsync();

        Assert.Equal($"Bearer {Echoes.Key}", server.Requests[0].Header("Authorization")); // The key was really sent...
        foreach (var text in new[] { plain.ToString(), streamed.ToString(), listing.ToString(), probe.Description!, probe.Exception!.ToString() })
        {
            AssertNoKey(echoed, text); // ...and comes back in no form.
            Assert.Contains("Incorrect API key provided: ", text, StringComparison.Ordinal); // The server's own words stay,
            Assert.Contains("***", text, StringComparison.Ordinal); // the key's place is marked (after "Bearer " in its encoding, say).
        }
    }

    [Theory]
    [MemberData(nameof(KeyForms))]
    public async Task KeyEchoedInAnyRecognisableForm_IsInNoLogLineSpanStatusOrHealthCheck(string form)
    {
        var echoed = Echoes.KeyForms(Echoes.Key)[form];
        await using var local = await LoopbackServer.StartAsync();
        await using var cloud = await LoopbackServer.StartAsync();
        local.Default = Respond.File(Fixture.Path("vllm", "chat-completion.json"));
        cloud.Default = InvalidKey(echoed);
        await using var observed = Observed.Start(
            local, cloud, Echoes.Key, services => services.AddHealthChecks().AddHybridInferenceBackends(), cloudLane: "\"HealthCheckInterval\": \"00:00:00.5\",");
        var status = observed.Services.GetRequiredService<IHybridInferenceStatus>();
        using var metrics = new MeterCollector(observed.Services.GetRequiredService<IMeterFactory>(), "HybridInference");

        for (var i = 0; i < 3; i++)
        {
            try
            {
                await observed.Chat.GetResponseAsync("Summarize this.", new ChatOptions().WithTaskCategory(TaskCategory.Complex));
            }
            catch (HybridInferenceException ex)
            {
                AssertNoKey(echoed, ex.ToString());
            }
        }

        // Probes run on the lane's interval, in real time here: wait for one after the requests, so that it wrote the last error.
        var requestsDone = TimeProvider.System.GetUtcNow();
        for (var waited = 0; !(status.GetStatus().Backends.Single(b => b.Name == "openai").LastProbeAt > requestsDone) && waited < 10_000; waited += 25)
        {
            await Task.Delay(25);
        }

        var openai = status.GetStatus().Backends.Single(b => b.Name == "openai");
        var report = (await observed.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries["hybrid_inference:openai"];

        Assert.Contains(cloud.Requests, r => r.Path.EndsWith("/chat/completions", StringComparison.Ordinal));
        Assert.Contains(cloud.Requests, r => r.Path.EndsWith("/models", StringComparison.Ordinal));
        Assert.Equal("health probe: BackendException: Unauthorized 401", openai.LastError); // Type, kind and status code only.
        var healthText = $"{report.Description} {report.Exception} {string.Join(", ", report.Data.Select(d => $"{d.Key}={d.Value}"))}";
        Assert.Contains("last_error=health probe: BackendException: Unauthorized 401", healthText, StringComparison.Ordinal);
        var metricTags = metrics.All.SelectMany(m => m.Tags.Select(t => $"{m.Instrument} {t.Key}={t.Value}")).ToList();
        Assert.Contains(metricTags, t => t.Contains("error.type=HybridInference.BackendException", StringComparison.Ordinal)); // The failures were measured...
        foreach (var text in observed.Logs.Concat(observed.Spans).Concat(metricTags).Append(healthText))
        {
            AssertNoKey(echoed, text); // ...and nothing shows the key.
        }
    }
}
