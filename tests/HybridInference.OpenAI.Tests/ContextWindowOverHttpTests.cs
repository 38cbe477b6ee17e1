using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace HybridInference.OpenAI.Tests;

/// <summary>
/// Through <c>AddHybridInference</c> from configuration, with no <c>ContextWindow</c> and no
/// <c>Routing:LocalContextLimit</c>: once the health probe has read the window the server reports, the router sends a
/// larger prompt to the cloud (or refuses it with both sizes when it must stay local) without calling the server; a
/// configured window that disagrees with the server's is a warning, and the smaller is used.
/// </summary>
public sealed class ContextWindowOverHttpTests
{
    /// <summary>The output kept for the answer (<c>Routing:DefaultOutputTokens</c>), below the smallest window here.</summary>
    private const int OutputReserve = 256;

    public static TheoryData<string, string, string, int> Servers() => new()
    {
        { "llamacpp", "/slots", Fixture.Read("llamacpp", "slots.json"), 2048 },
        { "llamacpp", "/props", Fixture.Read("llamacpp", "props.json"), 2048 },
        { "vllm", "/v1/models", Fixture.Read("vllm", "models.json").Replace("32768", "3000", StringComparison.Ordinal), 3000 },
        { "tgi", "/info", Fixture.Read("tgi", "info.json"), 4096 },
    };

    [Theory]
    [MemberData(nameof(Servers))]
    public async Task ReportedWindow_RoutesALargerPromptToTheCloud_AndRefusesItWhenLocalOnly(string provider, string page, string body, int window)
    {
        await using var local = await LoopbackServer.StartAsync();
        await using var cloud = await LoopbackServer.StartAsync();
        Serve(local, provider, page, body);
        cloud.Default = Respond.File(Fixture.Path("openai", "chat-completion.json"));
        var logs = new FakeLoggerProvider();
        await using var services = Build(provider, local, cloud, contextWindow: null, logs);
        var chat = services.GetRequiredService<IChatClient>();
        await WaitForFirstProbeAsync(services.GetRequiredService<IHybridInferenceStatus>());

        var prompt = string.Join(' ', Enumerable.Repeat("summarize", window)); // More than a token a word.
        var large = (await chat.GetResponseAsync(prompt)).GetRouteOutcome()!;
        var refused = await Assert.ThrowsAsync<ContextWindowExceededException>(() => chat.GetResponseAsync(prompt, new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly)));
        var small = (await chat.GetResponseAsync("Say hello")).GetRouteOutcome()!;

        Assert.Equal((BackendLane.Cloud, RouteReason.ContextLimit), (large.Target, large.DecisionReason));
        Assert.Equal((large.EstimatedPromptTokens + OutputReserve, window), (refused.RequiredTokens, refused.ContextWindow)); // prompt + Routing:DefaultOutputTokens
        Assert.Equal(BackendLane.Local, small.Target);
        Assert.Single(local.Requests, r => r.Path == "/v1/chat/completions"); // Only the small one.
        Assert.Contains(logs.Lines, l => l.Contains($"reports a context window of {window} tokens per request", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(8192, 2048, 2048)]
    [InlineData(1024, 2048, 1024)]
    public async Task ConfiguredWindowThatDisagrees_IsAWarning_AndTheSmallerIsUsed(int configured, int reported, int used)
    {
        await using var local = await LoopbackServer.StartAsync();
        await using var cloud = await LoopbackServer.StartAsync();
        Serve(local, "llamacpp", "/slots", Fixture.Read("llamacpp", "slots.json").Replace("2048", reported.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));
        cloud.Default = Respond.File(Fixture.Path("openai", "chat-completion.json"));
        var logs = new FakeLoggerProvider();
        await using var services = Build("llamacpp", local, cloud, configured, logs);
        var chat = services.GetRequiredService<IChatClient>();
        await WaitForFirstProbeAsync(services.GetRequiredService<IHybridInferenceStatus>());

        var refused = await Assert.ThrowsAsync<ContextWindowExceededException>(
            () => chat.GetResponseAsync(string.Join(' ', Enumerable.Repeat("summarize", used)), new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly)));

        Assert.Equal(used, refused.ContextWindow);
        Assert.Contains(logs.Collector.GetSnapshot(), r => r.Level == LogLevel.Warning
            && r.Message.Contains($"configured with ContextWindow {configured} but its server reports {reported} tokens per request; the smaller, {used}, is used", StringComparison.Ordinal));
        Assert.DoesNotContain(local.Requests, r => r.Path == "/v1/chat/completions");
    }

    private static void Serve(LoopbackServer server, string provider, string page, string body)
    {
        server.Default = context => context.Request.Path.Value switch
        {
            "/health" => Respond.Text(string.Empty)(context),
            "/v1/chat/completions" => Respond.File(Fixture.Path(provider, "chat-completion.json"))(context),
            var path when path == page => Respond.Json(body)(context),
            _ => NotFound(context),
        };
    }

    private static Task NotFound(HttpContext context)
    {
        context.Response.StatusCode = 404;
        return Task.CompletedTask;
    }

    /// <summary>Probes run on the lane's interval (real time here); waits for the first, for at most ten seconds.</summary>
    private static async Task WaitForFirstProbeAsync(IHybridInferenceStatus status)
    {
        for (var waited = 0; status.GetStatus().Backends.Any(b => b.Name == "local" && b.LastProbeAt is null) && waited < 10_000; waited += 50)
        {
            await Task.Delay(50);
        }
    }

    private static ServiceProvider Build(string provider, LoopbackServer local, LoopbackServer cloud, int? contextWindow, FakeLoggerProvider logs)
    {
        var window = contextWindow is { } configured ? $", \"ContextWindow\": {configured}" : string.Empty;
        var json = $$"""
            {
              "HybridInference": {
                "Routing": { "DefaultOutputTokens": {{OutputReserve}} },
                "Local": { "HealthCheckInterval": "00:00:00.5", "Backends": [ { "Name": "local", "Provider": "{{provider}}", "Endpoint": "{{local.V1}}", "Model": "Qwen/Qwen2.5-7B-Instruct"{{window}} } ] },
                "Cloud": { "Backends": [ { "Name": "openai", "Provider": "openai", "Endpoint": "{{cloud.V1}}", "Model": "gpt-4o", "ApiKey": "sk-test", "AllowInsecureHttp": true } ] }
              }
            }
            """;
        var configuration = JsonSettings.Parse(json);
        var services = new ServiceCollection();
        services.AddLogging(b => b.SetMinimumLevel(LogLevel.Information).AddProvider(logs));
        services.AddHybridInference(configuration.GetSection("HybridInference")).AddOpenAIProviders();
        return services.BuildServiceProvider();
    }
}
