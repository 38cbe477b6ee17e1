using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace HybridInference.OpenAI.Tests;

public sealed partial class PoolsOverHttpTests
{
    [Fact]
    public async Task VllmReportsAQueue_LeastOutstandingSendsRequestsToTheOtherServer()
    {
        var queued = await StartAsync("queued");
        var completion = queued.Default!;
        queued.Probes = queued.Default = context => context.Request.Path == "/metrics"
            ? Respond.Text("vllm:num_requests_waiting{engine=\"0\",model_name=\"m\"} 5.0\n", contentType: "text/plain; version=0.0.4")(context)
            : completion(context);
        var idle = await StartAsync("idle");
        var chat = Build($"[{Backend("queued", queued.V1)}, {Backend("idle", idle.V1)}]", laneSettings: "\"HealthCheckInterval\": \"00:00:00.5\", \"LoadBalancing\": \"LeastOutstanding\",");
        var status = _services!.GetRequiredService<IHybridInferenceStatus>();
        await WaitForFirstProbesAsync(status);

        var counts = await SendAsync(chat, 6);

        Assert.Equal(6, counts["idle"]);
        Assert.Equal(5, status.GetStatus().Backends.Single(b => b.Name == "queued").ReportedQueue);
        Assert.Contains(queued.ProbeRequests, r => r.Path == "/metrics");
    }

    [Fact]
    public async Task LlamaCppSlotsBusyWithOtherClients_LeastOutstandingSendsRequestsToTheOtherServer()
    {
        var busy = await StartAsync("busy");
        var completion = busy.Default!;
        var slots = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "llamacpp-slots.json"));
        busy.Probes = busy.Default = context => context.Request.Path == "/slots" ? Respond.Json(slots)(context) : completion(context);
        var idle = await StartAsync("idle");
        var disabled = File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "llamacpp-slots-disabled.501.json"));
        var idleCompletion = idle.Default!;
        idle.Probes = idle.Default = context => context.Request.Path == "/slots" ? Respond.Json(disabled, status: 501)(context) : idleCompletion(context);
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
        Assert.Contains(busy.ProbeRequests, r => r.Path == "/slots");
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
