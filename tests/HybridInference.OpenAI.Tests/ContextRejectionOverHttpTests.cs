using Microsoft.Extensions.DependencyInjection;

namespace HybridInference.OpenAI.Tests;

/// <summary>
/// A local server that rejects the prompt as too long, for a request that may not leave the machine: the caller gets
/// the <see cref="ContextWindowExceededException"/> the README promises (not a LocalBackendUnavailableException around
/// it), and nothing reaches the cloud.
/// </summary>
public sealed class ContextRejectionOverHttpTests
{
    public static TheoryData<string, string, bool, int, int> Rejections() => new()
    {
        { "vllm", "error-context-length-exceeded.400.json", false, 5000, 4096 },
        { "vllm", "error-context-length-exceeded.400.json", true, 5000, 4096 },
        { "vllm", "error-context-length-exceeded-legacy-flat.400.json", false, 5024, 4096 },
        { "vllm", "error-max-tokens-too-large.400.json", true, 4524, 4096 },
        { "llamacpp", "error-context-length-exceeded.400.json", false, 5274, 4096 },
        { "llamacpp", "error-context-length-exceeded.400.json", true, 5274, 4096 },
        { "llamacpp", "error-context-length-exceeded-input.400.json", false, 9000, 8192 },
        { "tgi", "error-context-length-exceeded.422.json", false, 4200, 4096 },
        { "tgi", "error-input-too-long.422.json", true, 4096, 4095 },
        { "tgi", "chat-completion-stream-error.sse", true, 4200, 4096 },
    };

    [Theory]
    [MemberData(nameof(Rejections))]
    public async Task LocalOnly_ServerRejectsThePromptAsTooLong_IsContextWindowExceeded_AndNothingGoesToTheCloud(string provider, string file, bool streaming, int required, int window)
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
        var configuration = JsonSettings.Parse(json);
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
        Assert.Equal((required, window), (error.RequiredTokens, error.ContextWindow));
        Assert.Single(local.Requests);
        Assert.Empty(cloud.Requests);
    }

    [Theory]
    [MemberData(nameof(Rejections))]
    public async Task MayLeave_ServerRejectsThePromptAsTooLong_IsEscalatedAsContextLimit_AndNotCountedAgainstTheBackend(string provider, string file, bool streaming, int required, int window)
    {
        _ = (required, window);
        await using var local = await LoopbackServer.StartAsync();
        await using var cloud = await LoopbackServer.StartAsync();
        local.ProbesApart = cloud.ProbesApart = true; // the chain probes them from the moment it is built
        local.Enqueue(Respond.File(Fixture.Path(provider, file)));
        cloud.Default = streaming ? Respond.File(Fixture.Path("openai", "chat-completion-stream.sse")) : Respond.File(Fixture.Path("openai", "chat-completion.json"));
        await using var serviceProvider = Build(provider, local, cloud);
        var chat = serviceProvider.GetRequiredService<IChatClient>();

        RouteOutcome outcome;
        if (streaming)
        {
            var updates = new List<ChatResponseUpdate>();
            await foreach (var update in chat.GetStreamingResponseAsync("Summarize the attached contract."))
            {
                updates.Add(update);
            }

            outcome = updates.ToChatResponse().GetRouteOutcome()!;
        }
        else
        {
            outcome = (await chat.GetResponseAsync("Summarize the attached contract.")).GetRouteOutcome()!;
        }

        Assert.Equal((BackendLane.Cloud, EscalationReason.ContextLimit), (outcome.Target, outcome.EscalationReason));
        var backend = serviceProvider.GetRequiredService<IHybridInferenceStatus>().GetStatus().Backends.Single(b => b.Name == "local");
        Assert.Equal((0, BackendHealth.Healthy), (backend.ConsecutiveFailures, backend.Health));
        Assert.Single(cloud.Requests);
    }

    private static ServiceProvider Build(string provider, LoopbackServer local, LoopbackServer cloud)
    {
        var json = $$"""
            {
              "HybridInference": {
                "Local": { "Backends": [ { "Name": "local", "Provider": "{{provider}}", "Endpoint": "{{local.V1}}", "Model": "m" } ] },
                "Cloud": { "Backends": [ { "Name": "openai", "Provider": "openai", "Endpoint": "{{cloud.V1}}", "Model": "gpt-4o", "ApiKey": "sk-test", "AllowInsecureHttp": true } ] }
              }
            }
            """;
        var configuration = JsonSettings.Parse(json);
        var services = new ServiceCollection();
        services.AddHybridInference(configuration.GetSection("HybridInference")).AddOpenAIProviders();
        return services.BuildServiceProvider();
    }
}
