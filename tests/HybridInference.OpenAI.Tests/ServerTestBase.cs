namespace HybridInference.OpenAI.Tests;

/// <summary>Starts a loopback server per test and makes clients for it.</summary>
public abstract class ServerTestBase : IAsyncLifetime
{
    protected LoopbackServer Server { get; private set; } = null!;

    protected static ChatMessage[] Hello => [new(ChatRole.User, "Say hello")];

    public async Task InitializeAsync() => Server = await LoopbackServer.StartAsync();

    public async Task DisposeAsync() => await Server.DisposeAsync();

    protected OpenAICompatibleChatClient Client(string provider, string? model = "test-model", string? apiKey = null) =>
        new(new OpenAICompatibleChatClientOptions { Provider = provider, Endpoint = Server.V1, Model = model, ApiKey = apiKey, Name = provider });

    protected static async Task<List<ChatResponseUpdate>> ReadAll(IAsyncEnumerable<ChatResponseUpdate> updates)
    {
        var list = new List<ChatResponseUpdate>();
        await foreach (var update in updates)
        {
            list.Add(update);
        }

        return list;
    }
}
