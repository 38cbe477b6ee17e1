using Microsoft.Extensions.DependencyInjection;

namespace HybridInference.OpenAI.Tests;

/// <summary>
/// A server slower than the backend's timeout: the error names the setting the user changes and its value (in
/// configuration, or the option in code), not the OpenAI SDK's own option, and is of kind Timeout.
/// </summary>
public sealed class TimeoutMessageTests
{
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ConfiguredBackend_SlowerThanItsTimeout_ErrorNamesTheConfigurationAndTheValue(bool streaming)
    {
        await using var local = await LoopbackServer.StartAsync();
        local.ProbesApart = true; // the chain probes it from the moment it is built
        local.Enqueue(Respond.Slow(TimeSpan.FromSeconds(30), Fixture.Read("vllm", "chat-completion.json")));
        var json = $$"""
            {
              "HybridInference": {
                "Local": { "Backends": [ { "Name": "slow-vllm", "Provider": "vllm", "Endpoint": "{{local.V1}}", "Model": "m", "Timeout": "00:00:01" } ] }
              }
            }
            """;
        var configuration = JsonSettings.Parse(json);
        var services = new ServiceCollection();
        services.AddHybridInference(configuration.GetSection("HybridInference")).AddOpenAIProviders();
        await using var serviceProvider = services.BuildServiceProvider();
        var chat = serviceProvider.GetRequiredService<IChatClient>();

        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            if (streaming)
            {
                await foreach (var _ in chat.GetStreamingResponseAsync("Summarize: the meeting moved."))
                {
                }
            }
            else
            {
                await chat.GetResponseAsync("Summarize: the meeting moved.");
            }
        });

        var timeout = FindTimeout(error);
        Assert.Contains("1 s, HybridInference:Local:Backends:0:Timeout (backend 'slow-vllm') = 00:00:01", timeout.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("NetworkTimeout", timeout.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientMadeInCode_SlowerThanItsTimeout_ErrorNamesTheOption()
    {
        await using var server = await LoopbackServer.StartAsync();
        server.Enqueue(Respond.Slow(TimeSpan.FromSeconds(30), Fixture.Read("vllm", "chat-completion.json")));
        using var client = new OpenAICompatibleChatClient(new OpenAICompatibleChatClientOptions
        {
            Provider = "vllm", Endpoint = server.V1, Model = "m", Timeout = TimeSpan.FromSeconds(1.5),
        });

        var error = await Assert.ThrowsAsync<BackendException>(() => client.GetResponseAsync("Hello"));

        Assert.Equal(BackendErrorKind.Timeout, error.Kind);
        Assert.Contains("1.5 s, OpenAICompatibleChatClientOptions.Timeout", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("NetworkTimeout", error.Message, StringComparison.Ordinal);
    }

    private static BackendException FindTimeout(Exception error)
    {
        for (Exception? e = error; e is not null; e = e.InnerException)
        {
            if (e is BackendException { Kind: BackendErrorKind.Timeout } timeout)
            {
                return timeout;
            }
        }

        throw new Xunit.Sdk.XunitException($"No BackendException of kind Timeout in {error}");
    }
}
