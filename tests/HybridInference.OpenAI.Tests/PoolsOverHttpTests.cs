using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HybridInference.OpenAI.Tests;

/// <summary>Local pools over real HTTP, several servers on 127.0.0.1 at once: weights, a dead port, ejection, fallback order, status.</summary>
public sealed partial class PoolsOverHttpTests : IAsyncLifetime
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
        server.ProbesApart = true; // the chain probes it from the moment it is built: 404, a reachable server; probe tests answer them
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
        var configuration = JsonSettings.Parse(json);
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
        // Its probe at start and its first calls race: the probe may set it aside before FailuresBeforeEjection calls failed.
        Assert.InRange(dead.Calls, 0, 2);
        Assert.Contains("BackendException: Unavailable", dead.LastError, StringComparison.Ordinal);
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
        loading.Probes = loading.Default = context => context.Request.Path == "/health"
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
        Assert.Contains(loading.ProbeRequests, r => r.Path == "/health");
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
}
