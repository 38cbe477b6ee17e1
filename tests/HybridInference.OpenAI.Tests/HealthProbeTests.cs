using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HybridInference.OpenAI.Tests;

/// <summary>Each dialect's health probe: its own cheap endpoint, never a completion.</summary>
public sealed class HealthProbeTests : ServerTestBase
{
    [Theory]
    [InlineData("vllm", "/health")]
    [InlineData("ollama", "/api/tags")]
    [InlineData("llamacpp", "/health")]
    [InlineData("tgi", "/health")]
    [InlineData("localai", "/readyz")]
    [InlineData("mlx", "/v1/models")]
    [InlineData("openai", "/v1/models")]
    public async Task Probe_UsesTheDialectsEndpoint(string provider, string path)
    {
        Server.Enqueue(Respond.Text(string.Empty));

        var result = await Client(provider).CheckHealthAsync();

        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.Equal(("GET", path), (Server.Requests[0].Method, Server.Requests[0].Path));

        // vLLM's probe also reads its queue from /metrics, llama.cpp's its busy slots from /slots, and the servers
        // that report a context window the page with it (the empty pages here have none, so llama.cpp turns to
        // /props); nothing spends tokens.
        string[] expected = provider switch
        {
            "vllm" => ["/health", "/metrics", "/v1/models"],
            "llamacpp" => ["/health", "/slots", "/props"],
            "tgi" => ["/health", "/info"],
            _ => [path],
        };
        Assert.Equal(expected, Server.Requests.Select(r => r.Path));
        Assert.All(Server.Requests, r => Assert.Equal("GET", r.Method));
        Assert.False(result.Data.ContainsKey(HealthProbeData.QueueDepth));
        Assert.False(result.Data.ContainsKey(HealthProbeData.BusySlots));
        Assert.False(result.Data.ContainsKey(HealthProbeData.ContextWindow));
    }

    [Theory]
    [InlineData("llamacpp", "error-loading-model.503.json", "model loading")]
    [InlineData("tgi", "error-unhealthy.503.json", "unhealthy")]
    [InlineData("localai", "readyz-starting.503.json", "startup preload")]
    public async Task NotReady_IsUnhealthyWithTheReason(string provider, string file, string reason)
    {
        Server.Enqueue(Respond.File(Fixture.Path(provider, file)));

        var result = await Client(provider).CheckHealthAsync();

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains(reason, result.Description);
    }

    [Fact]
    public async Task LlamaCpp_ReportsItsBusySlots_AndSendsItsKeyForThem()
    {
        Server.Enqueue(Respond.Text(string.Empty));
        Server.Enqueue(Respond.Json(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "TestData", "llamacpp-slots.json"))));

        var result = await Client("llamacpp", apiKey: "local-key").CheckHealthAsync();

        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.Equal(3, result.Data[HealthProbeData.BusySlots]);
        Assert.Equal("Bearer local-key", Server.Requests[1].Headers["Authorization"]);
    }

    [Fact]
    public async Task ServerDown_IsUnhealthy()
    {
        var closed = await LoopbackServer.StartAsync();
        var endpoint = closed.V1;
        await closed.DisposeAsync();

        var result = await new OpenAICompatibleChatClient(new() { Provider = "vllm", Endpoint = endpoint }).CheckHealthAsync();

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Contains("could not be reached", result.Description);
    }

    [Fact]
    public async Task ServerWithoutTheProbePath_IsReachable_NotUnhealthy()
    {
        Server.Enqueue(Respond.Json("""{"detail":"Not Found"}""", status: 404));

        var result = await Client("vllm").CheckHealthAsync();

        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.Contains("404", result.Description);
    }
}
