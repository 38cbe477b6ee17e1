using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace HybridInference.OpenAI.Tests;

/// <summary>
/// The hybrid client of one app over real HTTP, built from JSON configuration with the OpenAI-compatible providers,
/// its hosted services (the outbox's worker) started as a host would, and stopped when it is disposed.
/// </summary>
internal sealed class HostedChain : IAsyncDisposable
{
    private readonly List<IHostedService> _hosted;

    private HostedChain(ServiceProvider services)
    {
        Services = services;
        Chat = services.GetRequiredService<IChatClient>();
        _hosted = [.. services.GetServices<IHostedService>()];
    }

    public ServiceProvider Services { get; }

    public IChatClient Chat { get; }

    /// <summary>Builds the chain from <paramref name="json"/> (with a <c>HybridInference</c> section) and starts its hosted services.</summary>
    /// <param name="json">The configuration.</param>
    /// <param name="services">More services, registered before the chain (listeners).</param>
    public static async Task<HostedChain> StartAsync(string json, Action<IServiceCollection>? services = null)
    {
        var collection = new ServiceCollection();
        services?.Invoke(collection);
        collection.AddHybridInference(JsonSettings.Parse(json).GetSection("HybridInference")).AddOpenAIProviders();
        var chain = new HostedChain(collection.BuildServiceProvider());
        foreach (var hosted in chain._hosted)
        {
            await hosted.StartAsync(CancellationToken.None);
        }

        return chain;
    }

    /// <summary>A cloud stand-in on <paramref name="port"/> (0 for any): it answers with <paramref name="answer"/>, and its probes with an empty model list.</summary>
    public static async Task<LoopbackServer> StartCloudAsync(int port, string answer)
    {
        var cloud = await LoopbackServer.StartAsync(port);
        cloud.ProbesApart = true;
        cloud.Probes = Respond.Json("""{"object":"list","data":[]}""");
        cloud.Default = Respond.Json(Fixture.Completion("openai", answer));
        return cloud;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var hosted in _hosted)
        {
            await hosted.StopAsync(CancellationToken.None);
        }

        await Services.DisposeAsync();
    }
}
