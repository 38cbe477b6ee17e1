using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace HybridInference.OpenAI.Tests;

/// <summary>
/// A local server that rejects the prompt as too long, for a request that may not leave the machine: the caller gets
/// the <see cref="ContextWindowExceededException"/> the README promises (not a LocalBackendUnavailableException around
/// it), and nothing reaches the cloud.
/// </summary>
public sealed class ContextRejectionOverHttpTests
{
    public static TheoryData<string, string, bool> Rejections() => new()
    {
        { "vllm", "error-context-length-exceeded.400.json", false },
        { "vllm", "error-context-length-exceeded.400.json", true },
        { "vllm", "error-context-length-exceeded-legacy-flat.400.json", false },
        { "llamacpp", "error-context-length-exceeded.400.json", false },
        { "llamacpp", "error-context-length-exceeded.400.json", true },
        { "tgi", "error-context-length-exceeded.422.json", false },
    };

    [Theory]
    [MemberData(nameof(Rejections))]
    public async Task LocalOnly_ServerRejectsThePromptAsTooLong_IsContextWindowExceeded_AndNothingGoesToTheCloud(string provider, string file, bool streaming)
    {
        await using var local = await LoopbackServer.StartAsync();
        await using var cloud = await LoopbackServer.StartAsync();
        local.ProbesApart = cloud.ProbesApart = true; // the chain probes them from the moment it is built
        local.Enqueue(Respond.File(Fixture.Path(provider, file)));
        var json = $$"""
            {
              "HybridInference": {
                "Local": { "Backends": [ { "Name": "local", "Provider": "{{provider}}", "Endpoint": "{{local.V1}}", "Model": "m", "ContextWindow": 8192 } ] },
                "Cloud": { "Backends": [ { "Name": "openai", "Provider": "openai", "Endpoint": "{{cloud.V1}}", "Model": "gpt-4o", "ApiKey": "sk-test", "AllowInsecureHttp": true } ] }
              }
            }
            """;
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
        var services = new ServiceCollection();
        services.AddHybridInference(configuration.GetSection("HybridInference")).AddOpenAIProviders();
        await using var serviceProvider = services.BuildServiceProvider();
        var chat = serviceProvider.GetRequiredService<IChatClient>();
        var options = new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly);

        var error = await Assert.ThrowsAsync<ContextWindowExceededException>(async () =>
        {
            if (streaming)
            {
                await foreach (var _ in chat.GetStreamingResponseAsync("Summarize the attached contract.", options))
                {
                }
            }
            else
            {
                await chat.GetResponseAsync("Summarize the attached contract.", options);
            }
        });

        Assert.True(error.GetRouteOutcome() is { Failed: true }, "the exception carries the failed request's outcome");
        Assert.Single(local.Requests);
        Assert.Empty(cloud.Requests);
    }
}
