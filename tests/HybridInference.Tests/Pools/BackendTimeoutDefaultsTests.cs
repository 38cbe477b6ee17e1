using HybridInference.Pools;
using Microsoft.Extensions.DependencyInjection;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.Pools;

/// <summary>A backend's <c>Timeout</c> when none is configured: 30 s in the local lane (a stalled local server fails over while the caller waits), 100 s in the cloud.</summary>
public sealed class BackendTimeoutDefaultsTests
{
    [Theory]
    [InlineData(BackendLane.Local, null, 30)]
    [InlineData(BackendLane.Cloud, null, 100)]
    [InlineData(BackendLane.Local, 90, 90)]
    [InlineData(BackendLane.Cloud, 10, 10)]
    public void Pool_BackendWithoutTimeout_GetsItsLanesDefault(BackendLane lane, int? configuredSeconds, int expectedSeconds)
    {
        var backend = new BackendOptions { Name = "b", Timeout = configuredSeconds is { } s ? TimeSpan.FromSeconds(s) : null };

        using var pool = new BackendPoolBuilder(lane).AddBackend(backend, new FakeChatClient()).Build();

        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), pool.GetService<BackendPoolChatClient>()!.Backends[0].Info.Timeout);
    }

    [Theory]
    [InlineData(BackendLane.Local, 30)]
    [InlineData(BackendLane.Cloud, 100)]
    public async Task SilentStream_FailsAsTimeout_AtTheLanesDefault(BackendLane lane, int expectedSeconds)
    {
        var time = new FakeTimeProvider();
        var services = new ServiceCollection().AddSingleton<TimeProvider>(time).BuildServiceProvider();
        var silent = new FakeChatClient { TimeProvider = time }.Reply("late", delay: TimeSpan.FromHours(1));
        using var pool = new BackendPoolBuilder(lane).AddBackend("b", silent).Build(services);

        var reading = ToListAsync(pool.GetStreamingResponseAsync(User("x")));
        time.Advance(TimeSpan.FromSeconds(expectedSeconds) - TimeSpan.FromMilliseconds(10));
        Assert.False(reading.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(10));

        var timeout = await Assert.ThrowsAsync<BackendException>(() => reading);
        Assert.Equal(BackendErrorKind.Timeout, timeout.Kind);
        Assert.Contains($"{expectedSeconds} s", timeout.Message, StringComparison.Ordinal);
    }
}
