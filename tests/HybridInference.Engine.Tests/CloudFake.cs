using System.Text.Json;

namespace HybridInference.Engine.Tests;

/// <summary>
/// The cloud backend of the engine tests: an OpenAI-compatible loopback server (nothing leaves the machine) that
/// answers every chat request with a valid person object, plain or streamed, and counts what it got, so escalations
/// are visible.
/// </summary>
internal sealed class CloudFake : IAsyncDisposable
{
    public const string Answer = """{"name":"Ada","age":36}""";

    private static readonly string Completion = JsonSerializer.Serialize(new
    {
        id = "chatcmpl-cloud",
        @object = "chat.completion",
        created = 1,
        model = "gpt-4o",
        choices = new[] { new { index = 0, message = new { role = "assistant", content = Answer }, finish_reason = "stop" } },
        usage = new { prompt_tokens = 10, completion_tokens = 7, total_tokens = 17 },
    });

    private static readonly string Stream =
        "data: " + JsonSerializer.Serialize(new { id = "chatcmpl-cloud", @object = "chat.completion.chunk", created = 1, model = "gpt-4o", choices = new[] { new { index = 0, delta = new { role = "assistant", content = Answer }, finish_reason = (string?)null } } }) + "\n\n" +
        "data: " + JsonSerializer.Serialize(new { id = "chatcmpl-cloud", @object = "chat.completion.chunk", created = 1, model = "gpt-4o", choices = new[] { new { index = 0, delta = new { }, finish_reason = "stop" } }, usage = new { prompt_tokens = 10, completion_tokens = 7, total_tokens = 17 } }) + "\n\n" +
        "data: [DONE]\n\n";

    private CloudFake(LoopbackServer server) => Server = server;

    public LoopbackServer Server { get; }

    /// <summary>Gets the chat requests received so far.</summary>
    public int ChatRequests => Server.Requests.Count(r => r.Path.EndsWith("/chat/completions", StringComparison.Ordinal));

    public static async Task<CloudFake> StartAsync()
    {
        var server = await LoopbackServer.StartAsync();
        server.Default = context => context.Request.Path.Value?.EndsWith("/chat/completions", StringComparison.Ordinal) == true
            ? (LoopbackServer.BodyOf(context).Contains("\"stream\":true", StringComparison.Ordinal) ? Respond.Sse(Stream) : Respond.Json(Completion))(context)
            : Respond.Json("""{"object":"list","data":[{"id":"gpt-4o","object":"model"}]}""")(context);
        return new CloudFake(server);
    }

    public ValueTask DisposeAsync() => Server.DisposeAsync();

    /// <summary>Says whether a request with this text in its body reached the cloud.</summary>
    public bool Received(string marker) => Server.Requests.Any(r => r.Body.Contains(marker, StringComparison.Ordinal));
}
