using Microsoft.Extensions.Logging;

namespace HybridInference.Engine.Tests;

/// <summary>
/// The local context window against a real llama-server started with <c>-c 8192 -np 4</c>: each slot holds 2,048
/// tokens, which the server reports (<c>/slots</c> <c>n_ctx</c>, <c>/props</c>, <c>/v1/models</c> <c>meta.n_ctx</c>).
/// The chain learns it when <c>ContextWindow</c> is not configured, warns when a configured one disagrees, and
/// <c>Routing:LocalContextLimit</c> defaults to what the local windows allow instead of refusing to start.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class ContextWindowTests(EngineFixture engine) : SharedServerTest
{
    private protected override EngineFixture Shared => engine;

    private const int SlotWindow = 2048;

    // About 1,500 to 2,250 tokens of prompt, however they are counted, plus 1,000 of output: more than a slot holds.
    private static readonly string LongPrompt = string.Join(' ', Enumerable.Repeat("hello", 1500));

    private Dictionary<string, string?> Settings()
    {
        var settings = EngineChain.Settings(engine.Server, engine.Cloud);
        settings["HybridInference:Local:HealthCheckInterval"] = EngineChain.Seconds(0.5);
        settings["HybridInference:Routing:DefaultOutputTokens"] = "256"; // below the 1,024-token windows some tests configure
        return settings;
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task ContextWindow_NotConfigured_IsDiscoveredFromTheServer(bool localOnly)
    {
        var recorder = new Recorder();
        await using var chain = EngineChain.Build(Settings(), b => b.ConfigureBackend("llama", recorder.AddTo));
        Assert.True(await chain.WaitForAsync(s => s.Backends.Any(b => b.LastProbeHealthy == true), TimeSpan.FromSeconds(3)), "no passing probe within 3 s");
        var marker = Guid.NewGuid().ToString("N");
        var options = new ChatOptions { MaxOutputTokens = 1000 };
        if (localOnly)
        {
            options.WithDataPolicy(DataPolicy.LocalOnly);
        }

        // A short request still runs locally: the window is not mistaken for zero.
        var small = await chain.Chat.GetResponseAsync("Say hello.", new ChatOptions { MaxOutputTokens = 4 });
        Assert.Equal(BackendLane.Local, small.GetRouteOutcome()!.Target);
        recorder.Prompts.Clear();

        if (localOnly)
        {
            var error = await Assert.ThrowsAsync<ContextWindowExceededException>(() => chain.Chat.GetResponseAsync(marker + " " + LongPrompt, options));
            Assert.Equal(SlotWindow, error.ContextWindow);
            Assert.True(error.RequiredTokens > SlotWindow, $"required {error.RequiredTokens}");
        }
        else
        {
            var outcome = (await chain.Chat.GetResponseAsync(marker + " " + LongPrompt, options)).GetRouteOutcome()!;
            Assert.Equal((BackendLane.Cloud, RouteReason.ContextLimit), (outcome.Target, outcome.DecisionReason));
            Assert.True(engine.Cloud.Received(marker));
        }

        Assert.Empty(recorder.Prompts); // decided from the discovered window: the server was not asked
        Assert.Equal(!localOnly, engine.Cloud.Received(marker));
    }

    [Theory]
    [InlineData(1024, true)]
    [InlineData(4096, true)]
    [InlineData(SlotWindow, false)]
    public async Task ConfiguredContextWindow_ComparedWithTheServers_IsWarnedAboutWhenTheyDisagree(int configured, bool warned)
    {
        var settings = Settings();
        settings["HybridInference:Local:Backends:0:ContextWindow"] = configured.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["HybridInference:Routing:LocalContextLimit"] = Math.Min(configured, SlotWindow).ToString(System.Globalization.CultureInfo.InvariantCulture);
        await using var chain = EngineChain.Build(settings);

        Assert.True(await chain.WaitForAsync(s => s.Backends.Any(b => b.LastProbeHealthy == true), TimeSpan.FromSeconds(3)), "no passing probe within 3 s");
        await chain.Chat.GetResponseAsync("Say hello.", new ChatOptions { MaxOutputTokens = 4 });

        var warnings = chain.Logs.Collector.GetSnapshot()
            .Where(r => r.Level == LogLevel.Warning && r.Message.Contains("ContextWindow", StringComparison.Ordinal)).Select(r => r.Message).ToArray();
        if (warned)
        {
            var warning = Assert.Single(warnings);
            Assert.Contains(configured.ToString(System.Globalization.CultureInfo.InvariantCulture), warning, StringComparison.Ordinal);
            Assert.Contains(SlotWindow.ToString(System.Globalization.CultureInfo.InvariantCulture), warning, StringComparison.Ordinal);
            Assert.Contains("llama", warning, StringComparison.Ordinal);
        }
        else
        {
            Assert.Empty(warnings);
        }
    }

    [Theory]
    [InlineData(1024)]
    [InlineData(SlotWindow)]
    public async Task LocalContextLimit_NotConfigured_DefaultsToWhatTheLocalWindowsAllow(int window)
    {
        var settings = Settings();
        settings["HybridInference:Local:Backends:0:ContextWindow"] = window.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var marker = Guid.NewGuid().ToString("N");

        await using var chain = EngineChain.Build(settings); // starts: the default limit is not 4,096 regardless

        var small = await chain.Chat.GetResponseAsync("Say hello.", new ChatOptions { MaxOutputTokens = 4 });
        Assert.Equal(BackendLane.Local, small.GetRouteOutcome()!.Target);
        var large = await chain.Chat.GetResponseAsync(marker + " " + LongPrompt, new ChatOptions { MaxOutputTokens = 1000 });
        Assert.Equal((BackendLane.Cloud, RouteReason.ContextLimit), (large.GetRouteOutcome()!.Target, large.GetRouteOutcome()!.DecisionReason));
        Assert.True(engine.Cloud.Received(marker));
    }
}
