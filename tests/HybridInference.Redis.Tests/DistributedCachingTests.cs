using Microsoft.Extensions.Caching.StackExchangeRedis;
using Microsoft.Extensions.Options;

namespace HybridInference.Redis.Tests;

/// <summary>
/// The package README's recipe: Microsoft.Extensions.AI's <see cref="DistributedCachingChatClient"/> over Redis
/// (Microsoft.Extensions.Caching.StackExchangeRedis) around the whole chain with <c>ConfigureChat</c>, so that an answer
/// one replica got is served to every replica from Redis without reaching a backend.
/// </summary>
public sealed class DistributedCachingTests
{
    [Fact]
    public async Task UseDistributedCache_OverRedis_ServesAnotherReplicasAnswer_WithoutABackend()
    {
        await using var redis = await RedisServer.StartAsync();
        var time = new FakeTimeProvider();
        using var cacheA = new RedisCache(Options.Create(new RedisCacheOptions { Configuration = redis.Configuration, InstanceName = "chat:" }));
        using var cacheB = new RedisCache(Options.Create(new RedisCacheOptions { Configuration = redis.Configuration, InstanceName = "chat:" }));
        await using var a = InProcessReplica.Start("a", redis, time, chat: chat => chat.UseDistributedCache(cacheA));
        await using var b = InProcessReplica.Start("b", redis, time, chat: chat => chat.UseDistributedCache(cacheB));
        var options = new ChatOptions { Temperature = 0 };

        var first = await a.Chat.GetResponseAsync("Summarize this ticket in one line: the printer is on fire.", options);
        var second = await b.Chat.GetResponseAsync("Summarize this ticket in one line: the printer is on fire.", options);
        var other = await b.Chat.GetResponseAsync("Summarize this other ticket: the coffee machine is empty.", options);

        Assert.Equal("answered locally", first.Text);
        Assert.Equal(first.Text, second.Text);
        Assert.Equal(1, a.Local.RequestCount);
        Assert.Equal(1, b.Local.RequestCount); // only the other ticket reached b's backend
        Assert.Equal("answered locally", other.Text);
    }
}
