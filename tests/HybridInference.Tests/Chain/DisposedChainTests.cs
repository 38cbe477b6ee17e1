using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.Chain;

/// <summary>After the container or the user disposes the hybrid client, or any decorator of the chain, calls throw <see cref="ObjectDisposedException"/>.</summary>
public sealed class DisposedChainTests
{
    [Fact]
    public async Task HybridClient_AfterTheContainerIsDisposed_ThrowsObjectDisposedException()
    {
        var host = HybridHost.Create();
        host.Local.DefaultReply = _ => "never";
        var chat = host.Chat;
        host.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => chat.GetResponseAsync(User("Say hello")));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => ToListAsync(chat.GetStreamingResponseAsync(User("Say hello"))));
        Assert.Empty(host.Local.Requests);
    }

    [Fact]
    public async Task HybridClient_DisposedByTheUser_ThrowsObjectDisposedException_EvenForBadInput()
    {
        using var host = HybridHost.Create();
        host.Chat.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => host.Chat.GetResponseAsync(User("Say hello")));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => host.Chat.GetResponseAsync(User("Say hello"), new ChatOptions { Temperature = float.NaN }));
        Assert.Empty(host.Local.Requests);
    }

    [Theory]
    [InlineData("cost-meter")]
    [InlineData("classifier")]
    [InlineData("router")]
    [InlineData("fallback")]
    [InlineData("circuit-breaker")]
    public async Task Decorator_AfterDispose_ThrowsObjectDisposedException(string decorator)
    {
        var local = new FakeChatClient("local") { DefaultReply = _ => "local" };
        var cloud = new FakeChatClient("cloud") { DefaultReply = _ => "cloud" };
        var builder = new ChatClientBuilder(local);
        builder = decorator switch
        {
            "cost-meter" => builder.UseCostMeter(),
            "classifier" => builder.UseTaskClassifier(),
            "router" => builder.UseHybridRouter(cloud),
            "fallback" => builder.UseSchemaValidatingFallback(cloud),
            _ => builder.UseCircuitBreaker(),
        };
        var chain = builder.Build();
        Assert.Equal("local", (await chain.GetResponseAsync(User("Say hello"))).Text);
        var outermost = chain;

        chain.Dispose();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => outermost.GetResponseAsync(User("Say hello")));
        await Assert.ThrowsAsync<ObjectDisposedException>(() => ToListAsync(outermost.GetStreamingResponseAsync(User("Say hello"))));
        Assert.Single(local.Requests);
    }
}
