using System.Net;
using System.Net.Sockets;
using HybridInference.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HybridInference.Redis.Tests;

/// <summary>
/// <c>HybridInference:Redis</c>: a missing or unparsable configuration string stops start-up naming the key (never the
/// value, which may hold a password), a typo is reported with the nearest key, and a Redis that does not answer at
/// start-up is no error: the replica starts on its own budget and breaker and serves.
/// </summary>
public sealed class RedisConfigurationTests
{
    private const string Key = "HybridInference:Redis:Configuration";

    [Fact]
    public void MissingConfiguration_StopsStartUp_NamingTheKey()
    {
        using var provider = Build(new() { ["HybridInference:Redis:KeyPrefix"] = "app" });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains(error.Failures, f => f.StartsWith(Key + " is required", StringComparison.Ordinal));
    }

    [Fact]
    public void UnparsableConfiguration_NamesTheKey_NeverThePassword()
    {
        using var provider = Build(new() { [Key] = "127.0.0.1:6379,password=hunter2-secret,tiemout=5" });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        var failure = Assert.Single(error.Failures);
        Assert.StartsWith(Key + " is not a StackExchange.Redis configuration string", failure, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TypoInTheRedisSection_StopsStartUp_NamingTheNearestKey()
    {
        using var provider = Build(new() { [Key] = "127.0.0.1:6379", ["HybridInference:Redis:OperationTimout"] = "00:00:00.005" });

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.Contains(
            "HybridInference:Redis:OperationTimout is not a configuration key of HybridInference: nothing reads it. Did you mean HybridInference:Redis:OperationTimeout?",
            error.Failures);
    }

    [Fact]
    public async Task RedisNotAnsweringAtStartUp_TheReplicaServesOnItsOwnState_AndWarns()
    {
        var time = new FakeTimeProvider();
        var nobody = $"127.0.0.1:{FreePort()}";
        await using var replica = InProcessReplica.Start("alone", redis: null, time, new Dictionary<string, string?>
        {
            [Key] = nobody + ",password=hunter2-secret",
            ["HybridInference:Redis:ConnectTimeout"] = "00:00:00.200",
            ["HybridInference:Cloud:RequestsPerMinute"] = "2",
        }, useRedisSection: true);

        var complex = new ChatOptions().WithTaskCategory(TaskCategory.Complex);
        var targets = new List<BackendLane?>();
        for (var i = 0; i < 3; i++)
        {
            targets.Add((await replica.Chat.GetResponseAsync("Find the root cause.", complex)).GetRouteOutcome()!.Target);
        }

        Assert.Equal([BackendLane.Cloud, BackendLane.Cloud, BackendLane.Local], targets); // its own budget of 2
        Assert.Single(replica.Logs.Lines, l => l.Contains($"Redis ({nobody}) is unreachable", StringComparison.Ordinal));
        Assert.DoesNotContain(replica.Logs.Lines, l => l.Contains("hunter2", StringComparison.Ordinal));
        replica.Metrics.RecordObservableInstruments();
        Assert.Equal(0, replica.Metrics.Of("hybrid_inference.redis.available").Last().Value);
    }

    private static ServiceProvider Build(Dictionary<string, string?> settings)
    {
        settings["HybridInference:Local:Backends:0:Name"] = "local";
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new ServiceCollection();
        services.AddHybridInference(configuration.GetSection("HybridInference"))
            .AddLocalBackend("local", _ => new FakeChatClient("local"))
            .AddRedisCoordination(configuration.GetSection("HybridInference:Redis"));
        return services.BuildServiceProvider();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
