using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace HybridInference.Soak.Tests;

/// <summary>
/// An OpenAI-compatible server on 127.0.0.1 that injects faults at random from a fixed seed: 5xx, 429 with
/// Retry-After, answers slower than the client's timeout, connection resets, malformed and truncated JSON, streams
/// cut mid-way, slow first bytes; JSON requests sometimes get invalid JSON. It counts what it injected and every
/// request that carries the local-only marker.
/// </summary>
internal sealed class FaultyServer : IAsyncDisposable
{
    public const string LocalOnlyMarker = "LOCALONLY-MARK";

    private readonly Random _random;
    private readonly Lock _gate = new();
    private readonly double _faultScale;
    private int _localOnlySeen;

    private FaultyServer(LoopbackServer server, int seed, double faultScale, string model)
    {
        Server = server;
        Model = model;
        _random = new Random(seed);
        _faultScale = faultScale;
        server.RecordRequests = false;
        server.Default = RespondAsync;
    }

    public LoopbackServer Server { get; }

    public string Model { get; }

    /// <summary>Gets or sets a value indicating whether every completion fails with 503 (an outage).</summary>
    public bool Outage { get; set; }

    public ConcurrentDictionary<string, int> Injected { get; } = new();

    public int LocalOnlySeen => Volatile.Read(ref _localOnlySeen);

    public static async Task<FaultyServer> StartAsync(int seed, double faultScale, string model) =>
        new(await LoopbackServer.StartAsync(), seed, faultScale, model);

    public ValueTask DisposeAsync() => Server.DisposeAsync();

    private double Roll()
    {
        lock (_gate)
        {
            return _random.NextDouble();
        }
    }

    private Task RespondAsync(HttpContext context)
    {
        if (!context.Request.Path.Value!.EndsWith("/chat/completions", StringComparison.Ordinal))
        {
            return Json(context, 200, """{"object":"list","data":[]}"""); // probes
        }

        var body = LoopbackServer.BodyOf(context);
        if (body.Contains(LocalOnlyMarker, StringComparison.Ordinal))
        {
            Interlocked.Increment(ref _localOnlySeen);
        }

        var stream = body.Contains("\"stream\":true", StringComparison.Ordinal);
        var json = body.Contains("\"response_format\"", StringComparison.Ordinal);
        if (Outage)
        {
            return Count("outage_503", Json(context, 503, """{"error":{"message":"engine is down","type":"server_error","code":503}}"""));
        }

        var roll = Roll() / _faultScale;
        var content = json ? (Roll() < 0.1 ? """{"name":"Ada"}""" : """{"name":"Ada Lovelace","age":36}""") : "Hello from the soak server.";
        return roll switch
        {
            < 0.005 => Count("400_echoing_the_prompt", Json(context, 400, JsonSerializer.Serialize(new { error = new { message = $"Invalid input: '{LastUserText(body)}'", type = "BadRequestError", code = 400 } }))),
            < 0.03 => Count("5xx", Json(context, 500, """{"error":{"message":"internal error","type":"server_error","code":500}}""")),
            < 0.05 => Count("429", Json(context, 429, """{"error":{"message":"rate limited","type":"rate_limit_error","code":429}}""", retryAfter: true)),
            < 0.06 => Count("timeout", SlowAsync(context, TimeSpan.FromSeconds(3), content, stream)),
            < 0.08 => Count("reset", Reset(context)),
            < 0.09 when !stream => Count("malformed_json", Json(context, 200, "<html><body>502 Bad Gateway</body></html>")),
            < 0.10 when !stream => Count("truncated_json", Json(context, 200, Completion(content)[..40])),
            < 0.10 when stream => Count("stream_cut", Respond.Sse(Events(content), abortAfterEvents: 2)(context)),
            < 0.13 => Count("slow_first_byte", SlowAsync(context, TimeSpan.FromMilliseconds(120), content, stream)),
            _ => Count(json && content.Length < 20 ? "invalid_json_answer" : "ok", stream ? Respond.Sse(Events(content))(context) : Json(context, 200, Completion(content))),
        };
    }

    private static string LastUserText(string body)
    {
        using var document = JsonDocument.Parse(body);
        return document.RootElement.GetProperty("messages").EnumerateArray().Last().GetProperty("content").ToString();
    }

    private Task Count(string kind, Task task)
    {
        Injected.AddOrUpdate(kind, 1, (_, n) => n + 1);
        return task;
    }

    private static Task Reset(HttpContext context)
    {
        context.Abort();
        return Task.CompletedTask;
    }

    private async Task SlowAsync(HttpContext context, TimeSpan delay, string content, bool stream)
    {
        try
        {
            await Task.Delay(delay, context.RequestAborted);
        }
        catch (OperationCanceledException)
        {
            return; // the client gave up, as it should past its timeout
        }

        await (stream ? Respond.Sse(Events(content))(context) : Json(context, 200, Completion(content)));
    }

    private static Task Json(HttpContext context, int status, string body, bool retryAfter = false)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        if (retryAfter)
        {
            context.Response.Headers.RetryAfter = "1";
        }

        return context.Response.WriteAsync(body, Encoding.UTF8);
    }

    private string Completion(string content) => JsonSerializer.Serialize(new
    {
        id = "chatcmpl-soak",
        @object = "chat.completion",
        created = 1755000000,
        model = Model,
        choices = new[] { new { index = 0, message = new { role = "assistant", content }, finish_reason = "stop" } },
        usage = new { prompt_tokens = 20, completion_tokens = 10, total_tokens = 30 },
    });

    private string Events(string content)
    {
        var events = new StringBuilder();
        foreach (var part in content.Chunk(6).Select(c => new string(c)))
        {
            events.Append("data: ").Append(JsonSerializer.Serialize(new
            {
                id = "chatcmpl-soak", @object = "chat.completion.chunk", created = 1755000000, model = Model,
                choices = new[] { new { index = 0, delta = new { content = part }, finish_reason = (string?)null } },
            })).Append("\n\n");
        }

        events.Append("data: ").Append(JsonSerializer.Serialize(new
        {
            id = "chatcmpl-soak", @object = "chat.completion.chunk", created = 1755000000, model = Model,
            choices = new[] { new { index = 0, delta = new { }, finish_reason = "stop" } },
            usage = new { prompt_tokens = 20, completion_tokens = 10, total_tokens = 30 },
        })).Append("\n\ndata: [DONE]\n\n");
        return events.ToString();
    }
}
