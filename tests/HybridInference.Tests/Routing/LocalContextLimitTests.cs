using HybridInference.Internal;
using HybridInference.Pools;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.Routing;

/// <summary>
/// <c>Routing:LocalContextLimit</c> left out is what the local windows allow: the largest known local window
/// (configured or reported by a server), 4096 while none is known; a configured limit wins, and one above every
/// configured local window still stops the start.
/// </summary>
public sealed class LocalContextLimitTests
{
    private static TaskProfile Profile(int tokens) => new(TaskCategory.Routine, CategorySource.Default, tokens, null, false, DataPolicy.Any);

    private static LaneContextWindows Windows(params int?[] windows) =>
        new([.. windows.Select((w, i) => new BackendInfo($"local{i}", BackendLane.Local, "fake", "m", w))], NullLogger.Instance);

    public static TheoryData<int?[], int> Lanes() => new()
    {
        { [], 4096 },
        { [null], 4096 },
        { [2048], 2048 },
        { [32768], 32768 },
        { [2048, 8192], 8192 },
        { [8192, 2048], 8192 },
        { [null, 2048], 2048 },
        { [null, null], 4096 },
    };

    [Theory]
    [MemberData(nameof(Lanes))]
    public void Unset_IsTheLargestKnownLocalWindow_Else4096(int?[] windows, int expected)
    {
        var policy = new DefaultRoutingPolicy(localContextLimit: null, Windows(windows));

        Assert.Equal(expected, policy.LocalContextLimit);
        Assert.Equal(RouteTarget.Local, policy.Decide(Profile(expected)).Target);
        Assert.Equal(new RouteDecision(RouteTarget.Cloud, RouteReason.ContextLimit), policy.Decide(Profile(expected + 1)));
    }

    [Theory]
    [MemberData(nameof(Lanes))]
    public void Configured_Wins(int?[] windows, int ignored)
    {
        _ = ignored;
        var policy = new DefaultRoutingPolicy(localContextLimit: 1000, Windows(windows));

        Assert.Equal(1000, policy.LocalContextLimit);
    }

    [Fact]
    public void Unset_FollowsTheWindowsTheServersReport()
    {
        var open = new BackendInfo("open", BackendLane.Local, "fake", "m", null);
        var windows = new LaneContextWindows([open], NullLogger.Instance);
        var policy = new DefaultRoutingPolicy(localContextLimit: null, windows);
        Assert.Equal(4096, policy.LocalContextLimit);

        windows.Report(open, 2048);
        Assert.Equal(2048, policy.LocalContextLimit);

        windows.Report(open, 16384);
        Assert.Equal(16384, policy.LocalContextLimit);
    }

    [Theory]
    [InlineData("""[ { "Name": "local", "ContextWindow": 1024 } ]""", 1024)]
    [InlineData("""[ { "Name": "local", "ContextWindow": 2048 } ]""", 2048)]
    [InlineData("""[ { "Name": "local", "ContextWindow": 1024 }, { "Name": "large", "ContextWindow": 8192 } ]""", 8192)]
    [InlineData("""[ { "Name": "local" } ]""", 4096)]
    public async Task WithoutLocalContextLimit_TheChainStarts_AndRoutesByTheLocalWindows(string backends, int limit)
    {
        using var provider = Build(backends, routing: "\"DefaultOutputTokens\": 256"); // leaves a 1024 window room for a prompt
        var chat = provider.GetRequiredService<IChatClient>();

        // Just over the limit goes to the cloud, by its size; a small request stays local.
        var large = await chat.GetResponseAsync(User(LongText(limit))); // More than a token a word: over the limit.
        var small = await chat.GetResponseAsync(User("hi"));

        Assert.True(large.GetRouteOutcome()!.EstimatedPromptTokens > limit);
        Assert.Equal((BackendLane.Cloud, RouteReason.ContextLimit), (large.GetRouteOutcome()!.Target, large.GetRouteOutcome()!.DecisionReason));
        Assert.Equal(BackendLane.Local, small.GetRouteOutcome()!.Target);
    }

    [Fact]
    public async Task WithoutLocalContextLimit_TwoLocalWindows_ALargePromptRunsOnTheLargerOne()
    {
        using var provider = Build("""[ { "Name": "local", "ContextWindow": 1024 }, { "Name": "large", "ContextWindow": 32768 } ]""", routing: string.Empty);

        var response = await provider.GetRequiredService<IChatClient>().GetResponseAsync(User(LongText(2000)));

        Assert.Equal((BackendLane.Local, "large"), (response.GetRouteOutcome()!.Target, response.GetRouteOutcome()!.Backend));
    }

    [Theory]
    [InlineData(16384, """[ { "Name": "local", "ContextWindow": 8192 } ]""", 8192)]
    [InlineData(4096, """[ { "Name": "local", "ContextWindow": 2048 } ]""", 2048)]
    [InlineData(9000, """[ { "Name": "local", "ContextWindow": 2048 }, { "Name": "large", "ContextWindow": 8192 } ]""", 8192)]
    public void ConfiguredLimitAboveEveryConfiguredWindow_StillStopsTheStart(int configured, string backends, int largest)
    {
        using var provider = Build(backends, routing: $"\"LocalContextLimit\": {configured}");

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IChatClient>());

        Assert.Contains(error.Failures, f => f.Contains($"HybridInference:Routing:LocalContextLimit ({configured}) is larger than the largest local ContextWindow ({largest})", StringComparison.Ordinal));
    }

    [Fact]
    public void NoLocalBackend_StopsTheStartForThat_NotForTheLimit()
    {
        using var provider = Build("[]", routing: string.Empty, registerLocal: false);

        var error = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IChatClient>());

        Assert.Contains(error.Failures, f => f.Contains("Local:Backends: no local backend is configured", StringComparison.Ordinal));
        Assert.DoesNotContain(error.Failures, f => f.Contains("LocalContextLimit", StringComparison.Ordinal));
    }

    private static ServiceProvider Build(string localBackends, string routing, bool registerLocal = true)
    {
        var json = $$"""
            {
              "HybridInference": {
                "Routing": { {{routing}} },
                "Local": { "Backends": {{localBackends}} },
                "Cloud": { "Backends": [ { "Name": "cloud", "Model": "cloud-model" } ] }
              }
            }
            """;
        var configuration = JsonSettings.Parse(json);
        var services = new ServiceCollection();
        var builder = services.AddHybridInference(configuration.GetSection("HybridInference"))
            .AddCloudBackend("cloud", _ => new FakeChatClient("cloud-model") { DefaultReply = _ => "cloud" });
        if (registerLocal)
        {
            foreach (var name in new[] { "local", "large" }.Where(n => localBackends.Contains($"\"{n}\"", StringComparison.Ordinal)))
            {
                builder.AddLocalBackend(name, _ => new FakeChatClient(name) { DefaultReply = _ => name });
            }
        }

        return services.BuildServiceProvider();
    }
}
