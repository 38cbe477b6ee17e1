using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HybridInference.OpenAI.Tests;

/// <summary>Local pools over real HTTP, several servers on 127.0.0.1 at once: weights, a dead port, ejection, fallback order, status.</summary>
public sealed class PoolsOverHttpTests : IAsyncLifetime
{
    private readonly List<LoopbackServer> _servers = [];
    private ServiceProvider? _services;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }

        foreach (var server in _servers)
        {
            await server.DisposeAsync();
        }
    }

    private async Task<LoopbackServer> StartAsync(string name)
    {
        var server = await LoopbackServer.StartAsync();
        var body = Fixture.Read("vllm", "chat-completion.json").Replace("Hello! How can I help you today?", name, StringComparison.Ordinal);
        server.Default = context => Respond.Json(body)(context);
        _servers.Add(server);
        return server;
    }

    private IChatClient Build(string localJson, string cloudJson = "[]", string laneSettings = "", bool healthChecks = false, string routing = "{}")
    {
        var json = $$"""
            { "HybridInference": {
                "Routing": {{routing}},
                "Local": { {{laneSettings}} "Backends": {{localJson}} },
                "Cloud": { "Backends": {{cloudJson}} } } }
            """;
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
        var services = new ServiceCollection();
        services.AddHybridInference(configuration.GetSection("HybridInference")).AddOpenAIProviders();
        if (healthChecks)
        {
            services.AddHealthChecks().AddHybridInferenceBackends("llm");
        }

        _services = services.BuildServiceProvider();
        return _services.GetRequiredService<IChatClient>();
    }

    private static string Backend(string name, Uri endpoint, int weight = 1, string provider = "vllm") =>
        $$"""{ "Name": "{{name}}", "Provider": "{{provider}}", "Endpoint": "{{endpoint}}", "Model": "m", "Weight": {{weight}} }""";

    /// <summary>Probes run on the lane's interval (real time here); waits for every backend's first, for at most ten seconds.</summary>
    private static async Task WaitForFirstProbesAsync(IHybridInferenceStatus status)
    {
        for (var waited = 0; status.GetStatus().Backends.Any(b => b.LastProbeAt is null) && waited < 10_000; waited += 50)
        {
            await Task.Delay(50);
        }
    }

    private static async Task<Dictionary<string, int>> SendAsync(IChatClient chat, int requests)
    {
        var counts = new Dictionary<string, int>();
        for (var i = 0; i < requests; i++)
        {
            var outcome = (await chat.GetResponseAsync("Summarize: the meeting moved.")).GetRouteOutcome()!;
            counts[outcome.Backend] = counts.GetValueOrDefault(outcome.Backend) + 1;
        }

        return counts;
    }

    private static Uri DeadEndpoint()
    {
        // A port that was just free: nothing listens there, so connections are refused.
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return new Uri($"http://127.0.0.1:{((IPEndPoint)socket.LocalEndPoint!).Port}/v1");
    }

    [Fact]
    public async Task WeightedServers_GetTrafficInTheirWeightsRatio()
    {
        var big = await StartAsync("big");
        var small = await StartAsync("small");
        var chat = Build($"[{Backend("big", big.V1, weight: 3)}, {Backend("small", small.V1, weight: 1)}]");

        var counts = await SendAsync(chat, 40);

        Assert.Equal((30, 10), (counts["big"], counts["small"]));
        Assert.Equal((30, 10), (big.Requests.Count, small.Requests.Count));
    }

    [Fact]
    public async Task DeadPort_FailsOverToTheLiveServer_ThenIsEjected()
    {
        var live = await StartAsync("live");
        var chat = Build($"[{Backend("dead", DeadEndpoint())}, {Backend("live", live.V1)}]", laneSettings: "\"FailuresBeforeEjection\": 2,");

        var counts = await SendAsync(chat, 10);

        Assert.Equal(10, counts["live"]);
        var status = _services!.GetRequiredService<IHybridInferenceStatus>().GetStatus();
        var dead = Assert.Single(status.Backends, b => b.Name == "dead");
        Assert.Equal(BackendHealth.Ejected, dead.Health);
        Assert.Equal(2, dead.Calls);
        Assert.StartsWith("BackendException: Unavailable", dead.LastError, StringComparison.Ordinal);
        var healthy = Assert.Single(status.Backends, b => b.Name == "live");
        Assert.Equal((BackendHealth.Healthy, 10L, 1.0), (healthy.Health, healthy.Calls, healthy.SuccessRate!.Value));
        Assert.NotNull(healthy.LatencyEwma);
    }

    [Fact]
    public async Task LeastOutstanding_SkewedLatency_TheFastServerTakesMostRequests()
    {
        var slow = await StartAsync("slow");
        var slowBody = Fixture.Read("vllm", "chat-completion.json").Replace("Hello! How can I help you today?", "slow", StringComparison.Ordinal);
        slow.Default = Respond.Slow(TimeSpan.FromMilliseconds(1500), slowBody);
        var fast = await StartAsync("fast");
        var chat = Build($"[{Backend("slow", slow.V1)}, {Backend("fast", fast.V1)}]", laneSettings: "\"LoadBalancing\": \"LeastOutstanding\",");

        // Twenty requests, one every 20 ms: the slow server still holds its first when the next ones arrive.
        var calls = new List<Task<ChatResponse>>();
        for (var i = 0; i < 20; i++)
        {
            calls.Add(chat.GetResponseAsync("Summarize: the meeting moved."));
            await Task.Delay(20);
        }

        var backends = (await Task.WhenAll(calls)).Select(r => r.GetRouteOutcome()!.Backend).ToList();

        Assert.True(backends.Count(b => b == "fast") >= 14, $"fast answered {backends.Count(b => b == "fast")} of 20");
    }

    [Fact]
    public async Task SlowServer_IsEjectedAfterTimeouts_AndBroughtBackAfterProbation()
    {
        var flaky = await StartAsync("flaky");
        var answer = flaky.Default!;
        var slowNow = true;
        flaky.Default = context => slowNow && context.Request.Path.Value!.EndsWith("/chat/completions", StringComparison.Ordinal)
            ? Respond.Slow(TimeSpan.FromSeconds(10), "{}")(context)
            : answer(context);
        var steady = await StartAsync("steady");
        var flakyBackend = $$"""{ "Name": "flaky", "Provider": "vllm", "Endpoint": "{{flaky.V1}}", "Model": "m", "Timeout": "00:00:00.3" }""";
        var chat = Build($"[{flakyBackend}, {Backend("steady", steady.V1)}]", laneSettings: "\"FailuresBeforeEjection\": 2, \"EjectionDuration\": \"00:00:00.5\",");
        var status = _services!.GetRequiredService<IHybridInferenceStatus>();

        var before = await SendAsync(chat, 6);

        Assert.Equal(6, before["steady"]);
        var ejected = status.GetStatus().Backends.Single(b => b.Name == "flaky");
        Assert.Equal((BackendHealth.Ejected, 2L), (ejected.Health, ejected.Calls));
        Assert.StartsWith("BackendException: Timeout", ejected.LastError, StringComparison.Ordinal);

        slowNow = false;
        await Task.Delay(TimeSpan.FromMilliseconds(700));
        var after = await SendAsync(chat, 6);

        Assert.True(after.GetValueOrDefault("flaky") >= 2, $"flaky answered {after.GetValueOrDefault("flaky")} of 6 after probation");
        Assert.Equal(BackendHealth.Healthy, status.GetStatus().Backends.Single(b => b.Name == "flaky").Health);
    }

    [Fact]
    public async Task CloudBackends_AreFallbackModels_TriedInConfiguredOrder()
    {
        var primary = await StartAsync("primary");
        var secondary = await StartAsync("secondary");
        primary.Enqueue(Respond.Json("""{"error":{"message":"overloaded","type":"server_error","code":503}}""", status: 503));
        var local = await StartAsync("local");
        var cloud = $$"""
            [ { "Name": "primary", "Provider": "openai", "Endpoint": "{{primary.V1}}", "Model": "gpt-4o", "ApiKey": "k", "AllowInsecureHttp": true },
              { "Name": "secondary", "Provider": "openai", "Endpoint": "{{secondary.V1}}", "Model": "gpt-4o-mini", "ApiKey": "k", "AllowInsecureHttp": true } ]
            """;
        var chat = Build($"[{Backend("local", local.V1)}]", cloud);
        var complex = new ChatOptions().WithTaskCategory(TaskCategory.Complex);

        var first = await chat.GetResponseAsync("Prove it.", complex);
        var second = await chat.GetResponseAsync("Prove it.", complex);

        Assert.Equal("secondary", first.GetRouteOutcome()!.Backend);
        Assert.Equal("primary", second.GetRouteOutcome()!.Backend);
        Assert.Equal(2, primary.Requests.Count);
        Assert.Single(secondary.Requests);
        Assert.Empty(local.Requests);
    }

    [Fact]
    public async Task ServerReportingNotReady_IsEjectedByItsProbe_AndHealthChecksSayWhichOne()
    {
        var loading = await StartAsync("loading");
        var completion = loading.Default!;
        loading.Default = context => context.Request.Path == "/health"
            ? Respond.Json("""{"error":{"message":"Loading model","type":"unavailable_error","code":503}}""", status: 503)(context)
            : completion(context);
        var ready = await StartAsync("ready");
        var chat = Build($"[{Backend("loading", loading.V1)}, {Backend("ready", ready.V1)}]", laneSettings: "\"HealthCheckInterval\": \"00:00:00.5\", \"LoadBalancing\": \"Ordered\",", healthChecks: true);
        var status = _services!.GetRequiredService<IHybridInferenceStatus>();

        await WaitForFirstProbesAsync(status);

        var counts = await SendAsync(chat, 5);
        var report = await _services!.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        Assert.Equal(5, counts["ready"]);
        Assert.DoesNotContain(loading.Requests, r => r.Path.EndsWith("/chat/completions", StringComparison.Ordinal));
        Assert.Contains(loading.Requests, r => r.Path == "/health");
        Assert.Equal(HealthStatus.Unhealthy, report.Entries["hybrid_inference:loading"].Status);
        Assert.Equal(HealthStatus.Healthy, report.Entries["hybrid_inference:ready"].Status);
        Assert.Equal(5L, report.Entries["hybrid_inference:ready"].Data["calls"]);
        Assert.Contains("llm", report.Entries["hybrid_inference:ready"].Tags);
    }

    [Fact]
    public async Task Hedging_SlowLocalServer_CloudAnswersFirst_AndTheLocalServerSeesTheCancellation()
    {
        var local = await StartAsync("local");
        local.Default = Respond.Slow(TimeSpan.FromSeconds(20), Fixture.Read("vllm", "chat-completion.json"));
        var cloud = await StartAsync("cloud");
        var cloudJson = $$"""[ { "Name": "openai", "Provider": "openai", "Endpoint": "{{cloud.V1}}", "Model": "gpt-4o", "ApiKey": "k", "AllowInsecureHttp": true } ]""";
        var chat = Build($"[{Backend("local", local.V1)}]", cloudJson, routing: """{ "HedgeDelay": "00:00:00.2" }""");

        var response = await chat.GetResponseAsync("Summarize: the meeting moved.");

        Assert.Equal("cloud", response.Text);
        Assert.Equal(EscalationReason.Hedge, response.GetRouteOutcome()!.EscalationReason);
        for (var waited = 0; local.ClientAborts == 0 && waited < 5_000; waited += 50)
        {
            await Task.Delay(50);
        }

        Assert.Equal(1, local.ClientAborts);
    }

    [Fact]
    public async Task CallerCancellation_EndsTheLocalAttemptAndTheHedge_IsACancellation_AndTripsNothing()
    {
        var local = await StartAsync("local");
        local.Default = Respond.Slow(TimeSpan.FromSeconds(30), Fixture.Read("vllm", "chat-completion.json"));
        var cloud = await StartAsync("cloud");
        cloud.Default = Respond.Slow(TimeSpan.FromSeconds(30), Fixture.Read("openai", "chat-completion.json"));
        var cloudJson = $$"""[ { "Name": "openai", "Provider": "openai", "Endpoint": "{{cloud.V1}}", "Model": "gpt-4o", "ApiKey": "k", "AllowInsecureHttp": true } ]""";
        var chat = Build($"[{Backend("local", local.V1)}]", cloudJson, routing: """{ "HedgeDelay": "00:00:00.2", "MinimumThroughput": 2 }""");
        using var cancellation = new CancellationTokenSource();

        var call = chat.GetResponseAsync("Summarize: the meeting moved.", cancellationToken: cancellation.Token);
        for (var waited = 0; (local.Requests.Count == 0 || cloud.Requests.Count == 0) && waited < 5_000; waited += 20)
        {
            await Task.Delay(20);
        }

        Assert.Equal((1, 1), (local.Requests.Count, cloud.Requests.Count));
        var cancelledAt = System.Diagnostics.Stopwatch.StartNew();
        await cancellation.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => call);
        Assert.True(cancelledAt.Elapsed < TimeSpan.FromSeconds(5), $"the call took {cancelledAt.Elapsed} to end after the cancellation");

        for (var waited = 0; (local.ClientAborts == 0 || cloud.ClientAborts == 0) && waited < 5_000; waited += 50)
        {
            await Task.Delay(50);
        }

        Assert.Equal((1, 1), (local.ClientAborts, cloud.ClientAborts));
        var status = _services!.GetRequiredService<IHybridInferenceStatus>().GetStatus();
        Assert.Equal(0, status.LocalCircuitFailures.Values.Sum() + status.CloudCircuitFailures.Values.Sum());
        Assert.All(status.Backends, b => Assert.Equal((BackendHealth.Healthy, 0), (b.Health, b.ConsecutiveFailures)));
    }

    [Fact]
    public async Task HedgedStream_SlowFirstByteLocally_TheCloudStreamWins_AndTheLocalServerSeesTheCancellation()
    {
        var local = await StartAsync("local");
        local.Default = Respond.Sse(Fixture.Read("vllm", "chat-completion-stream.sse"), firstByteDelay: TimeSpan.FromSeconds(20));
        var cloud = await StartAsync("cloud");
        var cloudStream = Fixture.Read("openai", "chat-completion-stream.sse");
        cloud.Default = Respond.Sse(cloudStream);
        var cloudJson = $$"""[ { "Name": "openai", "Provider": "openai", "Endpoint": "{{cloud.V1}}", "Model": "gpt-4o", "ApiKey": "k", "AllowInsecureHttp": true } ]""";
        var chat = Build($"[{Backend("local", local.V1)}]", cloudJson, routing: """{ "HedgeDelay": "00:00:00.2" }""");

        var updates = new List<ChatResponseUpdate>();
        await foreach (var update in chat.GetStreamingResponseAsync("Summarize: the meeting moved."))
        {
            updates.Add(update);
        }

        Assert.NotEmpty(string.Concat(updates.Select(u => u.Text)));
        var outcome = updates[^1].GetRouteOutcome()!;
        Assert.Equal((BackendLane.Cloud, "openai", EscalationReason.Hedge), (outcome.Target, outcome.Backend, outcome.EscalationReason));
        Assert.True(outcome.OutputTokens > 0);
        for (var waited = 0; local.ClientAborts == 0 && waited < 5_000; waited += 50)
        {
            await Task.Delay(50);
        }

        Assert.Equal(1, local.ClientAborts);
    }

    [Fact]
    public async Task StreamCutAfterTheFirstToken_TheCallerGetsStreamInterrupted_AndNothingGoesToTheCloud()
    {
        var local = await StartAsync("local");
        local.Default = Respond.Sse(Fixture.Read("vllm", "chat-completion-stream.sse"), abortAfterEvents: 3);
        var cloud = await StartAsync("cloud");
        var cloudJson = $$"""[ { "Name": "openai", "Provider": "openai", "Endpoint": "{{cloud.V1}}", "Model": "gpt-4o", "ApiKey": "k", "AllowInsecureHttp": true } ]""";
        var chat = Build($"[{Backend("local", local.V1)}]", cloudJson);

        var text = new StringBuilder();
        var error = await Assert.ThrowsAsync<StreamInterruptedException>(async () =>
        {
            await foreach (var update in chat.GetStreamingResponseAsync("Summarize: the meeting moved."))
            {
                text.Append(update.Text);
            }
        });

        Assert.NotEqual(0, text.Length);
        Assert.IsType<BackendException>(error.InnerException);
        Assert.True(error.GetRouteOutcome()!.OutputCommitted);
        Assert.Empty(cloud.Requests);
    }

    [Fact]
    public async Task VllmReportsAQueue_LeastOutstandingSendsRequestsToTheOtherServer()
    {
        var queued = await StartAsync("queued");
        var completion = queued.Default!;
        queued.Default = context => context.Request.Path == "/metrics"
            ? Respond.Text("vllm:num_requests_waiting{engine=\"0\",model_name=\"m\"} 5.0\n", contentType: "text/plain; version=0.0.4")(context)
            : completion(context);
        var idle = await StartAsync("idle");
        var chat = Build($"[{Backend("queued", queued.V1)}, {Backend("idle", idle.V1)}]", laneSettings: "\"HealthCheckInterval\": \"00:00:00.5\", \"LoadBalancing\": \"LeastOutstanding\",");
        var status = _services!.GetRequiredService<IHybridInferenceStatus>();
        await WaitForFirstProbesAsync(status);

        var counts = await SendAsync(chat, 6);

        Assert.Equal(6, counts["idle"]);
        Assert.Equal(5, status.GetStatus().Backends.Single(b => b.Name == "queued").ReportedQueue);
        Assert.Contains(queued.Requests, r => r.Path == "/metrics");
    }

    [Fact]
    public async Task LlamaCppSlotsBusyWithOtherClients_LeastOutstandingSendsRequestsToTheOtherServer()
    {
        var busy = await StartAsync("busy");
        var completion = busy.Default!;
        var slots = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "llamacpp-slots.json"));
        busy.Default = context => context.Request.Path == "/slots" ? Respond.Json(slots)(context) : completion(context);
        var idle = await StartAsync("idle");
        var disabled = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "llamacpp-slots-disabled.501.json"));
        var idleCompletion = idle.Default!;
        idle.Default = context => context.Request.Path == "/slots" ? Respond.Json(disabled, status: 501)(context) : idleCompletion(context);
        var chat = Build(
            $"[{Backend("busy", busy.V1, provider: "llamacpp")}, {Backend("idle", idle.V1, provider: "llamacpp")}]",
            laneSettings: "\"HealthCheckInterval\": \"00:00:00.5\", \"LoadBalancing\": \"LeastOutstanding\",");
        var status = _services!.GetRequiredService<IHybridInferenceStatus>();
        await WaitForFirstProbesAsync(status);

        var counts = await SendAsync(chat, 6);

        Assert.Equal(6, counts["idle"]);
        var backends = status.GetStatus().Backends;
        Assert.Equal((3, BackendHealth.Healthy), (backends.Single(b => b.Name == "busy").ReportedQueue, backends.Single(b => b.Name == "busy").Health));
        Assert.Equal((0, BackendHealth.Healthy), (backends.Single(b => b.Name == "idle").ReportedQueue, backends.Single(b => b.Name == "idle").Health));
        Assert.Contains(busy.Requests, r => r.Path == "/slots");
    }

    /// <summary>An SSE event of a kind that carries no token: what servers send before (or instead of) their first token.</summary>
    private static string ContentFree(string kind) => kind switch
    {
        "role" => Chunk("""{"role":"assistant"}"""),
        "role-and-empty-text" => Chunk("""{"role":"assistant","content":""}"""),
        "empty-text" => Chunk("""{"content":""}"""),
        "null-text" => Chunk("""{"content":null}"""),
        "empty-delta" => Chunk("{}"),
        "empty-reasoning" => Chunk("""{"reasoning_content":""}"""),
        "no-choices" => """data: {"id":"c","object":"chat.completion.chunk","model":"m","choices":[]}""",
        "usage-only" => """data: {"id":"c","object":"chat.completion.chunk","model":"m","choices":[],"usage":{"prompt_tokens":5,"completion_tokens":0,"total_tokens":5}}""",
        "keep-alive" => ": keep-alive",
        "empty-data" => "data: ",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    private static string Chunk(string delta) =>
        $$"""data: {"id":"c","object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{{delta}},"finish_reason":null}]}""";

    /// <summary>Starts an SSE answer, sends <paramref name="events"/> (flushing each), then runs <paramref name="then"/> until the client goes away.</summary>
    private static Func<HttpContext, Task> SseThen(IEnumerable<string> events, Func<HttpContext, Task> then) =>
        async context =>
        {
            context.Response.StatusCode = 200;
            context.Response.ContentType = "text/event-stream";
            context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpResponseBodyFeature>()?.DisableBuffering();
            await context.Response.StartAsync();
            foreach (var item in events)
            {
                await context.Response.WriteAsync(item + "\n\n");
            }

            await context.Response.Body.FlushAsync();
            try
            {
                await then(context);
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException || context.RequestAborted.IsCancellationRequested)
            {
                // The client gave up: what these tests wait for.
            }
        };

    /// <summary>Sends nothing more, until the client goes away (or a minute passes).</summary>
    private static Task Stall(HttpContext context) => Task.Delay(TimeSpan.FromMinutes(1), context.RequestAborted);

    /// <summary>Every 100 ms sends <paramref name="text"/> (raw bytes, no event framing added), until the client goes away.</summary>
    private static Func<HttpContext, Task> Drip(string text) => async context =>
    {
        for (var i = 0; i < 600; i++)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(100), context.RequestAborted);
            await context.Response.WriteAsync(text, context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
        }
    };

    /// <summary>Waits for <paramref name="task"/> at most <paramref name="seconds"/> seconds, so that a stream that never ends fails the test instead of hanging it.</summary>
    private static async Task<T> Within<T>(Task<T> task, int seconds = 15) => await task.WaitAsync(TimeSpan.FromSeconds(seconds));

    private static async Task<string> ReadTextAsync(IChatClient chat, StringBuilder? received = null)
    {
        received ??= new StringBuilder();
        await foreach (var update in chat.GetStreamingResponseAsync("Summarize: the meeting moved."))
        {
            received.Append(update.Text);
        }

        return received.ToString();
    }

    [Theory]
    [InlineData("role", 10)]
    [InlineData("role", 64)]
    [InlineData("role", 65)]
    [InlineData("role", 1000)]
    [InlineData("role-and-empty-text", 65)]
    [InlineData("empty-text", 1000)]
    [InlineData("null-text", 65)]
    [InlineData("empty-delta", 65)]
    [InlineData("empty-reasoning", 65)]
    [InlineData("no-choices", 65)]
    [InlineData("usage-only", 65)]
    [InlineData("keep-alive", 1000)]
    [InlineData("empty-data", 65)]
    [InlineData("mixed", 1000)]
    public async Task Stream_ContentFreeChunksThenStall_TheNextBackendIsTriedAtTimeToFirstToken(string kind, int count)
    {
        string[] kinds = ["role", "role-and-empty-text", "empty-text", "null-text", "empty-delta", "empty-reasoning", "no-choices", "usage-only", "keep-alive", "empty-data"];
        var stalling = await StartAsync("stalling");
        stalling.Default = SseThen(Enumerable.Range(0, count).Select(i => ContentFree(kind == "mixed" ? kinds[i % kinds.Length] : kind)), Stall);
        var live = await StartAsync("live");
        live.Default = Respond.Sse(Fixture.Read("vllm", "chat-completion-stream.sse"));
        var chat = Build(
            $"[{Backend("stalling", stalling.V1)}, {Backend("live", live.V1)}]",
            laneSettings: "\"LoadBalancing\": \"Ordered\", \"TimeToFirstToken\": \"00:00:01\",");
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var text = await Within(ReadTextAsync(chat));

        Assert.StartsWith("Hello!", text, StringComparison.Ordinal);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.95), TimeSpan.FromSeconds(8));
        Assert.Equal((1, 1), (stalling.Requests.Count, live.Requests.Count));
        for (var waited = 0; stalling.ClientAborts == 0 && waited < 5_000; waited += 50)
        {
            await Task.Delay(50);
        }

        Assert.Equal(1, stalling.ClientAborts);
    }

    [Theory]
    [InlineData("nothing")]
    [InlineData("empty deltas")]
    [InlineData("role-only deltas")]
    [InlineData("usage-only chunks")]
    [InlineData("keep-alive comments")]
    [InlineData("one byte at a time")]
    public async Task Stream_SilentAfterItsFirstToken_WithoutRequestTimeout_EndsWithATypedTimeoutAfterTheBackendsTimeout(string silence)
    {
        var loris = await StartAsync("loris");
        Func<HttpContext, Task> then = silence switch
        {
            "nothing" => Stall,
            "empty deltas" => Drip(ContentFree("empty-text") + "\n\n"),
            "role-only deltas" => Drip(ContentFree("role") + "\n\n"),
            "usage-only chunks" => Drip(ContentFree("usage-only") + "\n\n"),
            "keep-alive comments" => Drip(": keep-alive\n\n"),
            _ => Drip("d"),
        };
        loris.Default = SseThen([Chunk("""{"role":"assistant","content":"Hel"}""")], then);
        var cloud = await StartAsync("cloud");
        var cloudJson = $$"""[ { "Name": "openai", "Provider": "openai", "Endpoint": "{{cloud.V1}}", "Model": "gpt-4o", "ApiKey": "k", "AllowInsecureHttp": true } ]""";
        var backend = $$"""{ "Name": "loris", "Provider": "vllm", "Endpoint": "{{loris.V1}}", "Model": "m", "Timeout": "00:00:00.8" }""";
        var chat = Build($"[{backend}]", cloudJson);
        var received = new StringBuilder();
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<StreamInterruptedException>(() => Within(ReadTextAsync(chat, received)));

        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.75), TimeSpan.FromSeconds(8));
        Assert.Equal("Hel", received.ToString());
        var timeout = Assert.IsType<BackendException>(error.InnerException);
        Assert.Equal(BackendErrorKind.Timeout, timeout.Kind);
        Assert.Contains("'loris'", timeout.Message, StringComparison.Ordinal);
        Assert.True(error.GetRouteOutcome()!.OutputCommitted);
        Assert.Empty(cloud.Requests);
    }

    [Theory]
    [InlineData("nothing")]
    [InlineData("role-only deltas")]
    [InlineData("keep-alive comments")]
    public async Task Stream_SilentBeforeItsFirstToken_WithoutTimeToFirstToken_FailsOverAfterTheBackendsTimeout(string silence)
    {
        var loris = await StartAsync("loris");
        loris.Default = SseThen([], silence switch
        {
            "nothing" => Stall,
            "role-only deltas" => Drip(ContentFree("role") + "\n\n"),
            _ => Drip(": keep-alive\n\n"),
        });
        var live = await StartAsync("live");
        live.Default = Respond.Sse(Fixture.Read("vllm", "chat-completion-stream.sse"));
        var backend = $$"""{ "Name": "loris", "Provider": "vllm", "Endpoint": "{{loris.V1}}", "Model": "m", "Timeout": "00:00:00.8" }""";
        var chat = Build($"[{backend}, {Backend("live", live.V1)}]", laneSettings: "\"LoadBalancing\": \"Ordered\",");
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var text = await Within(ReadTextAsync(chat));

        Assert.StartsWith("Hello!", text, StringComparison.Ordinal);
        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(0.75), TimeSpan.FromSeconds(8));
        var stalled = _services!.GetRequiredService<IHybridInferenceStatus>().GetStatus().Backends.Single(b => b.Name == "loris");
        Assert.StartsWith("BackendException: Timeout", stalled.LastError, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("nothing")]
    [InlineData("empty deltas")]
    [InlineData("keep-alive comments")]
    public async Task Stream_SilentAfterItsFirstToken_EndsAtRequestTimeout_WithTheTimeoutInsideStreamInterrupted(string silence)
    {
        var loris = await StartAsync("loris");
        loris.Default = SseThen([Chunk("""{"role":"assistant","content":"Hel"}""")], silence switch
        {
            "nothing" => Stall,
            "empty deltas" => Drip(ContentFree("empty-text") + "\n\n"),
            _ => Drip(": keep-alive\n\n"),
        });
        // 3 s: long enough that the first token reaches the caller before the deadline even on a loaded machine (the
        // first call over a new connection took more than 0.8 s once in CI), so the deadline falls in the silence.
        var chat = Build($"[{Backend("loris", loris.V1)}]", routing: """{ "RequestTimeout": "00:00:03" }""");
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<StreamInterruptedException>(() => Within(ReadTextAsync(chat)));

        Assert.InRange(clock.Elapsed, TimeSpan.FromSeconds(2.95), TimeSpan.FromSeconds(12));
        var timeout = Assert.IsType<TimeoutException>(error.InnerException);
        Assert.Contains("RequestTimeout", timeout.Message, StringComparison.Ordinal);
    }
}
