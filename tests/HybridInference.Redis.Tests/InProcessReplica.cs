using System.Diagnostics.Metrics;
using HybridInference.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HybridInference.Redis.Tests;

/// <summary>
/// One replica of the app inside the test process: its own services, chain and Redis connection (its own replica id),
/// with a local backend and a cloud backend that are scripted fakes the test makes fail or answer, on a clock the test
/// may share between replicas. Its logs and metrics are collected.
/// </summary>
public sealed class InProcessReplica : IAsyncDisposable
{
    private readonly ServiceProvider _provider;

    private InProcessReplica(string name, ServiceProvider provider, FakeChatClient local, FakeChatClient cloud, FakeLoggerProvider logs, MeterCollector metrics)
    {
        Name = name;
        _provider = provider;
        Local = local;
        Cloud = cloud;
        Logs = logs;
        Metrics = metrics;
        Chat = provider.GetRequiredService<IChatClient>();
        Status = provider.GetRequiredService<IHybridInferenceStatus>();
    }

    public string Name { get; }

    public IChatClient Chat { get; }

    public IHybridInferenceStatus Status { get; }

    public FakeChatClient Local { get; }

    public FakeChatClient Cloud { get; }

    public FakeLoggerProvider Logs { get; }

    public MeterCollector Metrics { get; }

    public IServiceProvider Services => _provider;

    /// <summary>Starts a replica.</summary>
    /// <param name="name">Its replica id.</param>
    /// <param name="redis">The Redis server; <see langword="null"/> for a replica without Redis.</param>
    /// <param name="time">Its clock.</param>
    /// <param name="settings">Configuration under <c>HybridInference</c> (and <c>HybridInference:Redis</c>) beyond the defaults here.</param>
    /// <param name="chat">Middleware around the chain (<c>ConfigureChat</c>), if any.</param>
    /// <param name="useRedisSection">Adds the Redis coordination from <c>HybridInference:Redis</c> in <paramref name="settings"/> without a server of the test's.</param>
    public static InProcessReplica Start(
        string name, RedisServer? redis, TimeProvider time, IDictionary<string, string?>? settings = null, Action<ChatClientBuilder>? chat = null, bool useRedisSection = false)
    {
        var values = new Dictionary<string, string?>
        {
            ["HybridInference:Local:Backends:0:Name"] = "local",
            ["HybridInference:Cloud:Backends:0:Name"] = "cloud",
            ["HybridInference:Cloud:Backends:0:Model"] = "cloud-large",
            ["HybridInference:Pricing:cloud-large:InputPerMillionTokens"] = "2.5",
            ["HybridInference:Pricing:cloud-large:OutputPerMillionTokens"] = "10",
            ["HybridInference:Cloud:RateLimitQueueTime"] = "00:00:00",
            ["HybridInference:Routing:FallbackMaxRetries"] = "0",
        };
        if (redis is not null)
        {
            values["HybridInference:Redis:Configuration"] = redis.Configuration;
            values["HybridInference:Redis:ReplicaId"] = name;
            values["HybridInference:Redis:OperationTimeout"] = "00:00:01"; // a loaded test machine must not fall back by accident
            values["HybridInference:Redis:ReconnectInterval"] = "00:00:00.100";
        }

        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            values[key] = value;
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values).Build();
        var local = new FakeChatClient("local") { DefaultReply = _ => "answered locally" };
        var cloud = new FakeChatClient("cloud") { DefaultReply = _ => "answered in the cloud" };
        var logs = new FakeLoggerProvider();
        var services = new ServiceCollection();
        services.AddSingleton(time);
        services.AddLogging(logging => logging.AddProvider(logs).SetMinimumLevel(LogLevel.Debug));
        var hybrid = services.AddHybridInference(configuration.GetSection("HybridInference"))
            .AddLocalBackend("local", _ => local)
            .AddCloudBackend("cloud", _ => cloud);
        if (chat is not null)
        {
            hybrid.ConfigureChat(chat);
        }

        if (redis is not null || useRedisSection)
        {
            hybrid.AddRedisCoordination(configuration.GetSection("HybridInference:Redis"));
        }

        var provider = services.BuildServiceProvider();
        var metrics = new MeterCollector(provider.GetRequiredService<IMeterFactory>(), "HybridInference");
        return new InProcessReplica(name, provider, local, cloud, logs, metrics);
    }

    /// <summary>Sends a routine request (the rules run it locally) and returns where it ran.</summary>
    public async Task<ChatResponse> SendAsync(string text = "Summarize this ticket in one line.", ChatOptions? options = null) =>
        await Chat.GetResponseAsync(text, options);

    public async ValueTask DisposeAsync()
    {
        Metrics.Dispose();
        await _provider.DisposeAsync();
        Logs.Dispose();
    }
}
