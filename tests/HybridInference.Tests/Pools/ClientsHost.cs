using HybridInference.Tests.Chain;
using Microsoft.Extensions.DependencyInjection;

namespace HybridInference.Tests.Pools;

/// <summary>The assembled chain through DI over clients the test supplies (not only fakes), on a fake clock.</summary>
internal sealed class ClientsHost : IDisposable
{
    private readonly ServiceProvider _provider;

    /// <summary>Builds the chain from <paramref name="json"/> (a whole configuration, like <see cref="HybridHost.DefaultJson"/>) with backends <c>local</c> and <c>cloud</c>.</summary>
    public ClientsHost(string json, IChatClient local, IChatClient? cloud)
    {
        var configuration = JsonSettings.Parse(json);
        var collection = new ServiceCollection();
        collection.AddSingleton<TimeProvider>(Time);
        var builder = collection.AddHybridInference(configuration.GetSection("HybridInference")).AddLocalBackend("local", _ => local);
        if (cloud is not null)
        {
            builder.AddCloudBackend("cloud", _ => cloud);
        }

        _provider = collection.BuildServiceProvider();
        Chat = _provider.GetRequiredService<IChatClient>();
    }

    public FakeTimeProvider Time { get; } = new();

    public IChatClient Chat { get; }

    public void Dispose() => _provider.Dispose();
}

/// <summary>A backend that waits until its token is cancelled and then reports a failure of its own instead of the cancellation.</summary>
internal sealed class CancellationReportingClient(string name, Func<Exception> report) : IChatClient
{
    public string Name { get; } = name;

    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        await WaitForCancellationAsync(cancellationToken).ConfigureAwait(false);
        throw report();
    }

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await WaitForCancellationAsync(cancellationToken).ConfigureAwait(false);
        yield break;
    }

    private async Task WaitForCancellationAsync(CancellationToken cancellationToken)
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (cancellationToken.Register(() => cancelled.TrySetResult()))
        {
            await cancelled.Task.ConfigureAwait(false);
        }

        throw report();
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
