using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace HybridInference.TestUtilities;

/// <summary>Responders for <see cref="LoopbackServer"/>: replay a body or a fixture file, stream SSE, misbehave on purpose.</summary>
public static class Respond
{
    public static Func<HttpContext, Task> Json(string body, int status = 200, Action<HttpResponse>? headers = null) =>
        Text(body, status, "application/json", headers);

    public static Func<HttpContext, Task> Text(string body, int status = 200, string contentType = "text/plain; charset=utf-8", Action<HttpResponse>? headers = null) =>
        async context =>
        {
            context.Response.StatusCode = status;
            context.Response.ContentType = contentType;
            headers?.Invoke(context.Response);
            await context.Response.WriteAsync(body);
        };

    /// <summary>Replays a fixture file; its status comes from the name (<c>error-x.503.json</c>) or is 200.</summary>
    public static Func<HttpContext, Task> File(string path, Action<HttpResponse>? headers = null)
    {
        var name = Path.GetFileName(path);
        var parts = name.Split('.');
        var status = parts.Length >= 3 && int.TryParse(parts[^2], out var s) ? s : 200;
        var contentType = name.EndsWith(".json", StringComparison.Ordinal) ? "application/json"
            : name.EndsWith(".sse", StringComparison.Ordinal) ? "text/event-stream"
            : "text/plain; charset=utf-8";
        return name.EndsWith(".sse", StringComparison.Ordinal)
            ? Sse(System.IO.File.ReadAllText(path), headers: headers)
            : Text(System.IO.File.ReadAllText(path), status, contentType, headers);
    }

    /// <summary>
    /// Streams an SSE body event by event (flushing each), optionally waiting before the first byte, cutting the
    /// connection after some events, or closing the connection after a complete answer (as llama-server does).
    /// </summary>
    public static Func<HttpContext, Task> Sse(
        string body, TimeSpan? firstByteDelay = null, int? abortAfterEvents = null, bool closeConnectionAfter = false, Action<HttpResponse>? headers = null) =>
        async context =>
        {
            if (firstByteDelay is { } delay)
            {
                await Task.Delay(delay, context.RequestAborted);
            }

            context.Response.StatusCode = 200;
            context.Response.ContentType = "text/event-stream";
            context.Response.Headers.CacheControl = "no-cache";
            context.Response.Headers.Connection = "keep-alive";
            headers?.Invoke(context.Response);
            context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

            var events = body.Replace("\r\n", "\n", StringComparison.Ordinal).Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
            for (var i = 0; i < events.Length; i++)
            {
                if (abortAfterEvents is { } cut && i == cut)
                {
                    // Let the client read what was sent first: a reset discards data the client has not read yet.
                    await context.Response.Body.FlushAsync();
                    await Task.Delay(TimeSpan.FromMilliseconds(200));
                    context.Abort();
                    return;
                }

                await context.Response.WriteAsync(events[i] + "\n\n", Encoding.UTF8);
                await context.Response.Body.FlushAsync();
            }

            if (closeConnectionAfter)
            {
                // The headers already said keep-alive; now close the connection gracefully (FIN, not RST) after this answer.
                context.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionLifetimeNotificationFeature>()?.RequestClose();
            }
        };

    /// <summary>
    /// Serves the SSE body, but drops (without answering) any later request that arrives on a connection that already
    /// carried a stream: the race a client loses when a server says keep-alive and then closes the connection
    /// while the next request is already on its way (llama-server does this).
    /// </summary>
    public static Func<HttpContext, Task> SseOncePerConnection(string body)
    {
        var used = new System.Collections.Concurrent.ConcurrentDictionary<string, bool>();
        var sse = Sse(body);
        return context => used.TryAdd(context.Connection.Id, true) ? sse(context) : Abort()(context);
    }

    /// <summary>Closes the connection without answering.</summary>
    public static Func<HttpContext, Task> Abort() => context =>
    {
        context.Abort();
        return Task.CompletedTask;
    };

    /// <summary>Waits until the client gives up (or the delay passes), then answers 200 with the body.</summary>
    public static Func<HttpContext, Task> Slow(TimeSpan delay, string body) => async context =>
    {
        await Task.Delay(delay, context.RequestAborted);
        await Json(body)(context);
    };
}
