using Microsoft.Extensions.DependencyInjection;

namespace HybridInference.OpenAI.Tests;

/// <summary>
/// Privacy:Topics over real HTTP: the decision matrix's healthcare example reaches the local vLLM server and never the
/// cloud server with the health topic on, and the cloud server as today with it off.
/// </summary>
public sealed class SensitiveTopicsOverHttpTests : IAsyncLifetime
{
    private const string Healthcare = "Summarize the patient's medication and dosage changes since the last visit.";

    private LoopbackServer _local = null!;
    private LoopbackServer _cloud = null!;

    public async Task InitializeAsync()
    {
        _local = await LoopbackServer.StartAsync();
        _local.ProbesApart = true; // the chain probes it from the moment it is built
        _local.Default = Respond.File(Fixture.Path("vllm", "chat-completion.json"));
        _cloud = await LoopbackServer.StartAsync();
        _cloud.ProbesApart = true;
        _cloud.Default = Respond.File(Fixture.Path("openai", "chat-completion.json"));
    }

    public async Task DisposeAsync()
    {
        await _local.DisposeAsync();
        await _cloud.DisposeAsync();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task HealthcareExample_GoesToTheLocalServerWithTheHealthTopicOn_ToTheCloudServerWithItOff(bool healthOn)
    {
        var privacy = healthOn ? """ "Privacy": { "Topics": { "BuiltIn": [ "health" ] } }, """ : string.Empty;
        var json = $$"""
            {
              "HybridInference": { {{privacy}}
                "Local": { "Backends": [ { "Name": "vllm", "Provider": "vllm", "Endpoint": "{{_local.V1}}", "Model": "Qwen/Qwen2.5-7B-Instruct", "ContextWindow": 8192 } ] },
                "Cloud": { "Backends": [ { "Name": "openai", "Provider": "openai", "Endpoint": "{{_cloud.V1}}", "Model": "gpt-4o", "ApiKey": "sk-test", "AllowInsecureHttp": true } ] }
              }
            }
            """;
        var configuration = JsonSettings.Parse(json);
        var services = new ServiceCollection();
        services.AddHybridInference(configuration.GetSection("HybridInference")).AddOpenAIProviders();
        await using var provider = services.BuildServiceProvider();
        var chat = provider.GetRequiredService<IChatClient>();

        var outcome = (await chat.GetResponseAsync(Healthcare)).GetRouteOutcome()!;

        Assert.Equal(healthOn ? ("vllm", "health") : ("openai", null), (outcome.Backend, outcome.SensitiveTopic));
        Assert.Equal(healthOn ? 1 : 0, _local.Requests.Count);
        Assert.Equal(healthOn ? 0 : 1, _cloud.Requests.Count);
    }
}
