using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace HybridInference.StandIn;

/// <summary>How a simulated server behaves.</summary>
/// <param name="Model">The model it reports.</param>
/// <param name="BaseLatency">Typical time to answer a short prompt.</param>
/// <param name="FailureRate">Share of requests answered with 503.</param>
/// <param name="MalformedJsonRate">
/// Share of JSON requests answered with almost-JSON; as many again get valid JSON wrapped in a markdown code fence
/// and a sentence, as local models often answer.
/// </param>
/// <param name="Seed">Seed of its randomness, so that every run behaves the same.</param>
public sealed record ServerBehaviour(string Model, TimeSpan BaseLatency, double FailureRate, double MalformedJsonRate, int Seed)
{
    /// <summary>Gets the time span, from the server's start, during which every request fails (an outage).</summary>
    public (TimeSpan From, TimeSpan To) Outage { get; init; }
}

/// <summary>
/// An OpenAI-compatible server on 127.0.0.1 that stands in for an inference engine or a cloud API: it answers
/// <c>/v1/chat/completions</c> (plain and streamed) in vLLM's wire format, with realistic latency, token usage,
/// occasional malformed JSON and failures. Offered tools, it plays a tool-calling model: it calls the first tool
/// <see cref="ToolCallsPerTask"/> times after the last user message, then answers. It never reaches past loopback.
/// </summary>
public sealed class SimulatedServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ServerBehaviour _behaviour;
    private readonly Random _random;
    private readonly Lock _gate = new();
    private readonly long _started = Stopwatch.GetTimestamp();

    private SimulatedServer(WebApplication app, ServerBehaviour behaviour)
    {
        _app = app;
        _behaviour = behaviour;
        _random = new Random(behaviour.Seed);
    }

    /// <summary>Gets or sets a value indicating whether the server is unplugged: while it is, every request is answered 503, as in an outage.</summary>
    public bool Unplugged { get; set; }

    /// <summary>The tool calls the server makes after a user message, when tools are offered, before it answers.</summary>
    public const int ToolCallsPerTask = 2;

    /// <summary>Gets the server's OpenAI-compatible base address (<c>http://127.0.0.1:PORT/v1</c>).</summary>
    public Uri Endpoint { get; private set; } = null!;

    /// <summary>Starts a server on a free port of 127.0.0.1.</summary>
    public static async Task<SimulatedServer> StartAsync(ServerBehaviour behaviour)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var server = new SimulatedServer(app, behaviour);
        app.MapGet("/health", () => Results.Ok());
        app.MapPost("/v1/chat/completions", server.CompleteAsync);
        await app.StartAsync();
        server.Endpoint = new Uri(app.Urls.First() + "/v1");
        return server;
    }

    /// <summary>Stops the server.</summary>
    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private async Task CompleteAsync(HttpContext context)
    {
        using var request = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        var root = request.RootElement;
        var promptChars = root.GetProperty("messages").EnumerateArray().Sum(m => m.TryGetProperty("content", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString()!.Length : 0);
        var promptTokens = (promptChars / 4) + 8;
        double jitter, roll, jsonRoll;
        lock (_gate)
        {
            (jitter, roll, jsonRoll) = (_random.NextDouble(), _random.NextDouble(), _random.NextDouble());
        }

        await Task.Delay(_behaviour.BaseLatency * (0.6 + jitter) + TimeSpan.FromMilliseconds(promptTokens / 50.0), context.RequestAborted);

        var now = Stopwatch.GetElapsedTime(_started);
        if (Unplugged || (now >= _behaviour.Outage.From && now < _behaviour.Outage.To) || roll < _behaviour.FailureRate)
        {
            context.Response.StatusCode = 503;
            await context.Response.WriteAsJsonAsync(new { error = new { message = "server busy, please try again (simulated)", type = "api_error", code = 503 } });
            return;
        }

        var streamed = root.TryGetProperty("stream", out var stream) && stream.GetBoolean();
        if (ToolToCall(root) is { } tool)
        {
            await CallToolAsync(context, tool, streamed, promptTokens);
            return;
        }

        var text = !root.TryGetProperty("response_format", out var format) ? $"[{_behaviour.Model}] {LastUserText(root)}"
            : jsonRoll < _behaviour.MalformedJsonRate ? "Sure! Here is the JSON: {\"name\": \"Ada\""
            : jsonRoll < 2 * _behaviour.MalformedJsonRate ? $"Here is the extracted data:\n```json\n{AnswerFor(format)}\n```"
            : AnswerFor(format);
        var completionTokens = (text.Length / 4) + 20;

        if (streamed)
        {
            await StreamAsync(context, text, promptTokens, completionTokens);
            return;
        }

        await context.Response.WriteAsJsonAsync(new
        {
            id = "chatcmpl-" + Guid.NewGuid().ToString("N"),
            @object = "chat.completion",
            created = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
            model = _behaviour.Model,
            choices = new[] { new { index = 0, message = new { role = "assistant", content = text }, finish_reason = "stop" } },
            usage = new { prompt_tokens = promptTokens, completion_tokens = completionTokens, total_tokens = promptTokens + completionTokens },
        });
    }

    private async Task StreamAsync(HttpContext context, string text, int promptTokens, int completionTokens)
    {
        context.Response.ContentType = "text/event-stream";
        var id = "chatcmpl-" + Guid.NewGuid().ToString("N");
        foreach (var word in text.Split(' '))
        {
            var chunk = JsonSerializer.Serialize(new { id, @object = "chat.completion.chunk", model = _behaviour.Model, choices = new[] { new { index = 0, delta = new { content = word + " " }, finish_reason = (string?)null } } });
            await context.Response.WriteAsync($"data: {chunk}\n\n", Encoding.UTF8);
            await context.Response.Body.FlushAsync();
        }

        var finish = JsonSerializer.Serialize(new { id, @object = "chat.completion.chunk", model = _behaviour.Model, choices = new[] { new { index = 0, delta = new { }, finish_reason = "stop" } } });
        var usage = JsonSerializer.Serialize(new { id, @object = "chat.completion.chunk", model = _behaviour.Model, choices = Array.Empty<object>(), usage = new { prompt_tokens = promptTokens, completion_tokens = completionTokens, total_tokens = promptTokens + completionTokens } });
        await context.Response.WriteAsync($"data: {finish}\n\ndata: {usage}\n\ndata: [DONE]\n\n", Encoding.UTF8);
    }

    /// <summary>The offered tool to call now (fewer than <see cref="ToolCallsPerTask"/> results since the last user message), or none.</summary>
    private static (string Name, int Step)? ToolToCall(JsonElement root)
    {
        if (!root.TryGetProperty("tools", out var tools) || tools.ValueKind != JsonValueKind.Array || tools.GetArrayLength() == 0)
        {
            return null;
        }

        var results = 0;
        foreach (var message in root.GetProperty("messages").EnumerateArray())
        {
            var role = message.TryGetProperty("role", out var r) ? r.GetString() : null;
            results = role == "user" ? 0 : role == "tool" ? results + 1 : results;
        }

        return results < ToolCallsPerTask ? (tools[0].GetProperty("function").GetProperty("name").GetString() ?? "tool", results + 1) : null;
    }

    private async Task CallToolAsync(HttpContext context, (string Name, int Step) tool, bool streamed, int promptTokens)
    {
        var id = "chatcmpl-" + Guid.NewGuid().ToString("N");
        var call = new { id = "call_" + Guid.NewGuid().ToString("N")[..16], type = "function", function = new { name = tool.Name, arguments = JsonSerializer.Serialize(new { step = tool.Step }) } };
        var usage = new { prompt_tokens = promptTokens, completion_tokens = 18, total_tokens = promptTokens + 18 };
        if (!streamed)
        {
            await context.Response.WriteAsJsonAsync(new
            {
                id,
                @object = "chat.completion",
                created = DateTimeOffset.UtcNow.ToUnixTimeSeconds(),
                model = _behaviour.Model,
                choices = new[] { new { index = 0, message = new { role = "assistant", content = (string?)null, tool_calls = new[] { call } }, finish_reason = "tool_calls" } },
                usage,
            });
            return;
        }

        context.Response.ContentType = "text/event-stream";
        var delta = JsonSerializer.Serialize(new { id, @object = "chat.completion.chunk", model = _behaviour.Model, choices = new[] { new { index = 0, delta = new { role = "assistant", tool_calls = new[] { new { index = 0, call.id, call.type, call.function } } }, finish_reason = (string?)null } } });
        var finish = JsonSerializer.Serialize(new { id, @object = "chat.completion.chunk", model = _behaviour.Model, choices = new[] { new { index = 0, delta = new { }, finish_reason = "tool_calls" } }, usage });
        await context.Response.WriteAsync($"data: {delta}\n\ndata: {finish}\n\ndata: [DONE]\n\n", Encoding.UTF8);
    }

    private static string LastUserText(JsonElement root)
    {
        var text = root.GetProperty("messages").EnumerateArray().Last().GetProperty("content").GetString() ?? string.Empty;
        return text.Length <= 40 ? text : text[..40] + "...";
    }

    private static string AnswerFor(JsonElement format)
    {
        var name = format.TryGetProperty("json_schema", out var schema) && schema.TryGetProperty("name", out var n) ? n.GetString() : null;
        return name == "invoice"
            ? JsonSerializer.Serialize(new { vendor = "Acme GmbH", total = 1249.5, currency = "EUR" })
            : JsonSerializer.Serialize(new { name = "Ada Lovelace", age = 36 });
    }
}
