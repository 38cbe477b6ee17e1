using System.Diagnostics.Metrics;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace HybridInference.Engine.Tests;

/// <summary>
/// The whole chain from configuration, as an app builds it (<c>AddHybridInference(configuration).AddOpenAIProviders()</c>),
/// with one local llama-server backend (<c>Provider = llamacpp</c>) and the loopback fake as the cloud backend.
/// Settings are configuration keys under <c>HybridInference</c>; <see langword="null"/> removes a default.
/// </summary>
internal sealed class EngineChain : IAsyncDisposable
{
    private readonly ServiceProvider _provider;

    private EngineChain(ServiceProvider provider, FakeLoggerProvider logs)
    {
        _provider = provider;
        Logs = logs;
        Metrics = new MeterCollector(provider.GetRequiredService<IMeterFactory>(), "HybridInference");
    }

    public IChatClient Chat => _provider.GetRequiredService<IChatClient>();

    /// <summary>Gets the chain's services (the token counters <c>AddTokenizers()</c> registers, for one).</summary>
    public IServiceProvider Services => _provider;

    public FakeLoggerProvider Logs { get; }

    /// <summary>Gets the chain's measurements, collected from before its instruments were published.</summary>
    public MeterCollector Metrics { get; }

    public HybridInferenceStatus Status => _provider.GetRequiredService<IHybridInferenceStatus>().GetStatus();

    public BackendStatus Local => Status.Backends.Single(b => b.Lane == BackendLane.Local);

    /// <summary>The configuration the engine tests start from; each test changes what it is about.</summary>
    public static Dictionary<string, string?> Settings(LlamaServer server, CloudFake cloud) => new()
    {
        ["HybridInference:Local:Backends:0:Name"] = "llama",
        ["HybridInference:Local:Backends:0:Provider"] = "llamacpp",
        ["HybridInference:Local:Backends:0:Endpoint"] = server.V1.ToString(),
        ["HybridInference:Local:Backends:0:Model"] = "tiny-llama",
        ["HybridInference:Cloud:Backends:0:Name"] = "cloud",
        ["HybridInference:Cloud:Backends:0:Provider"] = "openai",
        ["HybridInference:Cloud:Backends:0:Endpoint"] = cloud.Server.V1.ToString(),
        ["HybridInference:Cloud:Backends:0:Model"] = "gpt-4o",
        ["HybridInference:Cloud:Backends:0:ApiKey"] = "sk-engine-tests",
        ["HybridInference:Cloud:Backends:0:AllowInsecureHttp"] = "true",
        ["HybridInference:Pricing:gpt-4o:InputPerMillionTokens"] = "2.5",
        ["HybridInference:Pricing:gpt-4o:OutputPerMillionTokens"] = "10",
    };

    /// <summary>Builds the chain from the settings and resolves its client (which starts the health probes).</summary>
    public static EngineChain Build(IDictionary<string, string?> settings, Action<HybridInferenceBuilder>? configure = null)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings.Where(s => s.Value is not null)).Build();
        var logs = new FakeLoggerProvider();
        var services = new ServiceCollection();
        services.AddLogging(logging => logging.SetMinimumLevel(LogLevel.Debug).AddProvider(logs));
        var builder = services.AddHybridInference(configuration.GetSection("HybridInference")).AddOpenAIProviders();
        configure?.Invoke(builder);
        var chain = new EngineChain(services.BuildServiceProvider(), logs);
        _ = chain.Chat;
        return chain;
    }

    /// <summary>Asks the chain, plain or streamed, and gives the text and the outcome.</summary>
    public async Task<(string Text, RouteOutcome Outcome)> AskAsync(string prompt, ChatOptions options, bool streamed)
    {
        if (!streamed)
        {
            var response = await Chat.GetResponseAsync(prompt, options);
            return (response.Text, response.GetRouteOutcome()!);
        }

        var text = new System.Text.StringBuilder();
        RouteOutcome? outcome = null;
        await foreach (var update in Chat.GetStreamingResponseAsync(prompt, options))
        {
            text.Append(update.Text);
            outcome = update.GetRouteOutcome() ?? outcome;
        }

        return (text.ToString(), outcome!);
    }

    public static string Seconds(double seconds) => TimeSpan.FromSeconds(seconds).ToString("c", CultureInfo.InvariantCulture);

    /// <summary>Waits (polling, up to the limit) until the condition on the status holds; says whether it did.</summary>
    public async Task<bool> WaitForAsync(Func<HybridInferenceStatus, bool> condition, TimeSpan limit)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (clock.Elapsed < limit)
        {
            if (condition(Status))
            {
                return true;
            }

            await Task.Delay(25);
        }

        return condition(Status);
    }

    public ValueTask DisposeAsync()
    {
        Metrics.Dispose();
        return _provider.DisposeAsync();
    }
}
