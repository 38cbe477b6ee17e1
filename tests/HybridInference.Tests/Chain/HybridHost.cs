using HybridInference.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using System.Diagnostics.Metrics;
using System.Text;

namespace HybridInference.Tests.Chain;

/// <summary>The assembled chain through DI, with a local and a cloud fake backend, a fake clock and a metric collector.</summary>
internal sealed class HybridHost : IDisposable
{
    private HybridHost(ServiceProvider provider, FakeChatClient local, FakeChatClient? cloud, FakeTimeProvider time)
    {
        Provider = provider;
        Local = local;
        Cloud = cloud;
        Time = time;
        Metrics = new MeterCollector(provider.GetRequiredService<IMeterFactory>(), HybridInferenceTelemetry.MeterName);
        Chat = provider.GetRequiredService<IChatClient>();
    }

    public ServiceProvider Provider { get; }

    public FakeChatClient Local { get; }

    public FakeChatClient? Cloud { get; }

    public FakeTimeProvider Time { get; }

    public MeterCollector Metrics { get; }

    public IChatClient Chat { get; }

    /// <summary>Builds the host from JSON configuration (the <c>HybridInference</c> section's content).</summary>
    /// <param name="json">The configuration; <see cref="DefaultJson"/> when null.</param>
    /// <param name="withCloud">Whether a cloud backend is registered.</param>
    /// <param name="services">More services, registered before the chain.</param>
    /// <param name="wrapLocal">What the chain gets as its local backend around the fake (for example one that answers health probes).</param>
    /// <param name="wrapCloud">What the chain gets as its cloud backend around the fake.</param>
    public static HybridHost Create(
        string? json = null, bool withCloud = true, Action<IServiceCollection>? services = null, Func<FakeChatClient, IChatClient>? wrapLocal = null, Func<FakeChatClient, IChatClient>? wrapCloud = null)
    {
        var configuration = new ConfigurationBuilder()
            .AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json ?? DefaultJson)))
            .Build();
        var time = new FakeTimeProvider();
        var local = new FakeChatClient("local-model") { TimeProvider = time };
        var cloud = withCloud ? new FakeChatClient("cloud-model") { TimeProvider = time } : null;

        var collection = new ServiceCollection();
        collection.AddSingleton<TimeProvider>(time);
        services?.Invoke(collection);
        var builder = collection.AddHybridInference(configuration.GetSection("HybridInference"))
            .AddLocalBackend("local", _ => wrapLocal?.Invoke(local) ?? local);
        if (cloud is not null)
        {
            builder.AddCloudBackend("cloud", _ => wrapCloud?.Invoke(cloud) ?? cloud);
        }

        return new HybridHost(collection.BuildServiceProvider(), local, cloud, time);
    }

    /// <summary>The default configuration with <paramref name="settings"/> (JSON members) added at the start of <paramref name="section"/>.</summary>
    public static string DefaultJsonWith(string section, string settings) =>
        DefaultJson.Replace($"\"{section}\": {{ ", $"\"{section}\": {{ {settings}, ", StringComparison.Ordinal);

    public const string DefaultJson = """
        {
          "HybridInference": {
            "Routing": { "LocalContextLimit": 4096, "FallbackMaxRetries": 1, "EscalationThreshold": 0.15,
                         "SamplingWindow": "00:01:00", "MinimumThroughput": 20, "BreakDuration": "00:00:30" },
            "Local": { "Backends": [ { "Name": "local", "Provider": "vllm", "Model": "local-model", "ContextWindow": 8192 } ] },
            "Cloud": { "Backends": [ { "Name": "cloud", "Provider": "openai", "Model": "cloud-model" } ] },
            "Pricing": { "cloud-model": { "InputPerMillionTokens": 10.0, "OutputPerMillionTokens": 30.0 } }
          }
        }
        """;

    public void Dispose()
    {
        Metrics.Dispose();
        Provider.Dispose();
    }
}
