using System.Text.Json;
using Microsoft.AspNetCore.Http;

namespace HybridInference.TestUtilities;

/// <summary>
/// A responder for <see cref="LoopbackServer"/> that acts as a tool-capable model in an OpenAI-compatible
/// <c>/v1/chat/completions</c> endpoint: while the conversation it is sent holds fewer than <c>toolTurns</c> tool
/// results, it answers with one call of the offered tool (a fresh call id each time, finish reason <c>tool_calls</c>);
/// after that, with a text that names the model and how many results it saw. Plain and streamed answers.
/// </summary>
public static class ToolCallingServer
{
    /// <summary>Creates the responder.</summary>
    /// <param name="model">The model it reports, and names in its final text.</param>
    /// <param name="toolTurns">How many tool calls it makes in a conversation before it answers.</param>
    public static Func<HttpContext, Task> Respond(string model, int toolTurns) => async context =>
    {
        using var request = JsonDocument.Parse(LoopbackServer.BodyOf(context));
        var root = request.RootElement;
        var results = 0;
        foreach (var message in root.GetProperty("messages").EnumerateArray())
        {
            results += message.TryGetProperty("role", out var role) && role.GetString() == "tool" ? 1 : 0;
        }

        var tool = root.TryGetProperty("tools", out var tools) && tools.GetArrayLength() > 0
            ? tools[0].GetProperty("function").GetProperty("name").GetString()
            : null;
        var call = tool is not null && results < toolTurns;
        var id = "call_" + Guid.NewGuid().ToString("N")[..12];
        var arguments = JsonSerializer.Serialize(new { step = results + 1 });
        var text = $"[{model}] done after {results} tool result(s)";
        var streamed = root.TryGetProperty("stream", out var stream) && stream.ValueKind == JsonValueKind.True;
        context.Response.StatusCode = 200;
        if (!streamed)
        {
            context.Response.ContentType = "application/json";
            object message = call
                ? new { role = "assistant", content = (string?)null, tool_calls = new[] { new { id, type = "function", function = new { name = tool, arguments } } } }
                : new { role = "assistant", content = text };
            await context.Response.WriteAsync(JsonSerializer.Serialize(new
            {
                id = "chatcmpl-tools",
                @object = "chat.completion",
                created = 1_700_000_000,
                model,
                choices = new[] { new { index = 0, message, finish_reason = call ? "tool_calls" : "stop" } },
                usage = new { prompt_tokens = 40 + (10 * results), completion_tokens = 12, total_tokens = 52 + (10 * results) },
            }));
            return;
        }

        context.Response.ContentType = "text/event-stream";
        object delta = call
            ? new { role = "assistant", tool_calls = new[] { new { index = 0, id, type = "function", function = new { name = tool, arguments } } } }
            : new { role = "assistant", content = text };
        var chunks = new[]
        {
            JsonSerializer.Serialize(new { id = "chatcmpl-tools", @object = "chat.completion.chunk", created = 1_700_000_000, model, choices = new[] { new { index = 0, delta, finish_reason = (string?)null } } }),
            JsonSerializer.Serialize(new { id = "chatcmpl-tools", @object = "chat.completion.chunk", created = 1_700_000_000, model, choices = new[] { new { index = 0, delta = new { }, finish_reason = call ? "tool_calls" : "stop" } } }),
            JsonSerializer.Serialize(new { id = "chatcmpl-tools", @object = "chat.completion.chunk", created = 1_700_000_000, model, choices = Array.Empty<object>(), usage = new { prompt_tokens = 40 + (10 * results), completion_tokens = 12, total_tokens = 52 + (10 * results) } }),
        };
        foreach (var chunk in chunks)
        {
            await context.Response.WriteAsync("data: " + chunk + "\n\n");
            await context.Response.Body.FlushAsync();
        }

        await context.Response.WriteAsync("data: [DONE]\n\n");
    };
}
