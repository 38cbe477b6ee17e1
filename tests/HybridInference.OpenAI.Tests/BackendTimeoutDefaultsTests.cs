using HybridInference.OpenAI.DependencyInjection;
using Microsoft.Extensions.DependencyInjection;

namespace HybridInference.OpenAI.Tests;

/// <summary>The provider factory gives a local OpenAI-compatible server the local lane's default timeout (30 s); the cloud keeps the SDK's 100 s.</summary>
public sealed class BackendTimeoutDefaultsTests
{
    private static readonly ServiceProvider Services = new ServiceCollection().AddHttpClient().BuildServiceProvider();

    [Theory]
    [InlineData("vllm", BackendLane.Local, null, 30)]
    [InlineData("ollama", BackendLane.Local, null, 30)]
    [InlineData("llamacpp", BackendLane.Local, null, 30)]
    [InlineData("openai-compatible", BackendLane.Local, null, 30)]
    [InlineData("llamacpp", BackendLane.Local, 120, 120)]
    [InlineData("vllm", BackendLane.Cloud, null, 100)]
    [InlineData("vllm", BackendLane.Cloud, 7, 7)]
    public void Factory_Timeout_IsTheLanesDefault_UnlessConfigured(string provider, BackendLane lane, int? configuredSeconds, int expectedSeconds)
    {
        var backend = new BackendOptions
        {
            Name = "b",
            Provider = provider,
            Endpoint = new Uri("http://127.0.0.1:9/v1"),
            Model = "m",
            Timeout = configuredSeconds is { } s ? TimeSpan.FromSeconds(s) : null,
        };

        using var client = new OpenAIBackendClientFactory().Create(backend, lane, Services);

        Assert.Equal(TimeSpan.FromSeconds(expectedSeconds), client.GetService<OpenAICompatibleChatClient>()!.Timeout);
    }
}
