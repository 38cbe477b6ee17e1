using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace HybridInference.OpenAI.Tests;

/// <summary>
/// <c>Routing:DefaultOutputTokens</c> on the wire, through <c>AddHybridInference</c> from configuration over loopback:
/// a local server is sent it as <c>max_tokens</c> when the caller sets no <c>MaxOutputTokens</c> (plain and streamed,
/// every local dialect), the caller's limit wins, and the cloud is sent no limit the caller did not set.
/// </summary>
public sealed class OutputBudgetOverHttpTests
{
    public static TheoryData<string, int?, bool> LocalRequests()
    {
        var data = new TheoryData<string, int?, bool>();
        foreach (var provider in new[] { "vllm", "llamacpp", "tgi", "localai", "ollama", "mlx", "openai-compatible" })
        {
            foreach (var reserve in new int?[] { null, 300, 4000 })
            {
                data.Add(provider, reserve, false);
                data.Add(provider, reserve, true);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(LocalRequests))]
    public async Task LocalBackend_NoMaxOutputTokens_IsSentTheDefaultOutputTokens(string provider, int? reserve, bool streaming)
    {
        await using var local = await Server(streaming);
        await using var cloud = await Server(streaming);
        await using var services = Build(provider, local, cloud, reserve);

        var outcome = await SendAsync(services.GetRequiredService<IChatClient>(), new ChatOptions(), streaming);

        Assert.Equal(BackendLane.Local, outcome?.Target ?? BackendLane.Local);
        Assert.Equal(reserve ?? 1024, MaxTokens(Assert.Single(local.Requests)));
        Assert.Empty(cloud.Requests);
    }

    [Theory]
    [InlineData("vllm", 16, false)]
    [InlineData("vllm", 5000, true)]
    [InlineData("llamacpp", 1, false)]
    [InlineData("llamacpp", 2048, true)]
    [InlineData("tgi", 700, false)]
    [InlineData("ollama", 3000, true)]
    public async Task LocalBackend_CallersMaxOutputTokens_Wins(string provider, int callers, bool streaming)
    {
        await using var local = await Server(streaming);
        await using var cloud = await Server(streaming);
        await using var services = Build(provider, local, cloud, reserve: 300);

        await SendAsync(services.GetRequiredService<IChatClient>(), new ChatOptions { MaxOutputTokens = callers }, streaming);

        Assert.Equal(callers, MaxTokens(Assert.Single(local.Requests)));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task CloudBackend_NoMaxOutputTokens_IsSentNoLimit(bool streaming)
    {
        await using var local = await Server(streaming);
        await using var cloud = await Server(streaming, "openai");
        await using var services = Build("vllm", local, cloud, reserve: 300);

        var outcome = await SendAsync(services.GetRequiredService<IChatClient>(), new ChatOptions().WithTaskCategory(TaskCategory.Complex), streaming);

        Assert.Equal(BackendLane.Cloud, outcome?.Target ?? BackendLane.Cloud);
        using var body = JsonDocument.Parse(Assert.Single(cloud.Requests).Body);
        Assert.False(body.RootElement.TryGetProperty("max_tokens", out _));
        Assert.False(body.RootElement.TryGetProperty("max_completion_tokens", out _));
        Assert.Empty(local.Requests);
    }

    private static async Task<RouteOutcome?> SendAsync(IChatClient chat, ChatOptions options, bool streaming)
    {
        if (!streaming)
        {
            return (await chat.GetResponseAsync("Say hello", options)).GetRouteOutcome();
        }

        await foreach (var _ in chat.GetStreamingResponseAsync("Say hello", options))
        {
        }

        return null;
    }

    private static int? MaxTokens(RecordedRequest request)
    {
        using var body = JsonDocument.Parse(request.Body);
        return body.RootElement.TryGetProperty("max_tokens", out var value) ? value.GetInt32() : null;
    }

    private static async Task<LoopbackServer> Server(bool streaming, string fixtures = "vllm")
    {
        var server = await LoopbackServer.StartAsync();
        server.ProbesApart = true; // the chain probes from the moment it is built
        server.Default = Respond.File(Fixture.Path(fixtures, streaming ? "chat-completion-stream.sse" : "chat-completion.json"));
        return server;
    }

    private static ServiceProvider Build(string provider, LoopbackServer local, LoopbackServer cloud, int? reserve)
    {
        var routing = reserve is { } tokens ? $"\"DefaultOutputTokens\": {tokens}" : string.Empty;
        var json = $$"""
            {
              "HybridInference": {
                "Routing": { {{routing}} },
                "Local": { "Backends": [ { "Name": "local", "Provider": "{{provider}}", "Endpoint": "{{local.V1}}", "Model": "m", "ContextWindow": 8192 } ] },
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
