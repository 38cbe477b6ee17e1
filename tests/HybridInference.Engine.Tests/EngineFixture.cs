namespace HybridInference.Engine.Tests;

/// <summary>
/// The servers the engine tests share, started once for the collection: llama-server with 4 slots of 2,048 tokens
/// (<c>-c 8192 -np 4</c>) and the loopback fake cloud. Tests that kill or slow a server start their own.
/// </summary>
public sealed class EngineFixture : IAsyncLifetime
{
    private LlamaServer? _server;
    private CloudFake? _cloud;

    internal LlamaServer Server => _server ?? throw new InvalidOperationException("The fixture has not started.");

    internal CloudFake Cloud => _cloud ?? throw new InvalidOperationException("The fixture has not started.");

    public async Task InitializeAsync()
    {
        _cloud = await CloudFake.StartAsync();
        _server = await LlamaServer.StartAsync(slots: 4, context: 8192, threads: 2);
    }

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }

        if (_cloud is not null)
        {
            await _cloud.DisposeAsync();
        }
    }
}

/// <summary>The engine tests run one after another: they share the servers, and the machine's cores.</summary>
[CollectionDefinition(Name)]
public sealed class EngineCollection : ICollectionFixture<EngineFixture>
{
    public const string Name = "engine";
}

/// <summary>
/// A test class on the shared server: each test starts when the server is idle, so that nothing an earlier test left
/// running (an abandoned long answer) takes its slots.
/// </summary>
public abstract class SharedServerTest : IAsyncLifetime
{
    /// <summary>Gets the fixture with the shared server.</summary>
    private protected abstract EngineFixture Shared { get; }

    /// <summary>Waits for the shared server to be idle.</summary>
    public Task InitializeAsync() => Shared.Server.WaitIdleAsync();

    /// <summary>Waits for the shared server to be idle again, so the next class starts clean.</summary>
    public Task DisposeAsync() => Shared.Server.WaitIdleAsync();
}
