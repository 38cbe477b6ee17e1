namespace HybridInference.Redis.Tests;

/// <summary>
/// The cloud API on 127.0.0.1 (a real Kestrel server): answers every chat completion with a short OpenAI-format answer,
/// and counts the chat requests it received. Health probes are answered apart and not counted.
/// </summary>
public static class CloudStandIn
{
    public const string Completion = """
        {"id":"chatcmpl-1","object":"chat.completion","created":1,"model":"cloud-large",
         "choices":[{"index":0,"message":{"role":"assistant","content":"answered in the cloud"},"finish_reason":"stop"}],
         "usage":{"prompt_tokens":12,"completion_tokens":4,"total_tokens":16}}
        """;

    public static async Task<LoopbackServer> StartAsync()
    {
        var server = await LoopbackServer.StartAsync();
        server.ProbesApart = true;
        server.RecordRequests = true;
        server.Default = Respond.Json(Completion);
        return server;
    }
}
