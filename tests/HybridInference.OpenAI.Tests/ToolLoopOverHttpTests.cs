using Microsoft.Extensions.DependencyInjection;

namespace HybridInference.OpenAI.Tests;

/// <summary>
/// Tool-loop affinity through the chain DI builds, over real HTTP: Microsoft.Extensions.AI's
/// <c>FunctionInvokingChatClient</c> around the hybrid client runs a five-turn loop against tool-calling stand-ins on
/// 127.0.0.1 (four tool calls, then the answer), two local servers round robin and one cloud server.
/// </summary>
public sealed class ToolLoopOverHttpTests : IAsyncLifetime
{
    private const int ToolTurns = 4; // four turns that call the tool, then a fifth that answers: five turns.

    private LoopbackServer _localA = null!;
    private LoopbackServer _localB = null!;
    private LoopbackServer _cloud = null!;
    private readonly List<ServiceProvider> _providers = [];

    public async Task InitializeAsync()
    {
        _localA = await StandIn("Qwen/Qwen2.5-7B-Instruct");
        _localB = await StandIn("Qwen/Qwen2.5-7B-Instruct");
        _cloud = await StandIn("gpt-4o");
    }

    public async Task DisposeAsync()
    {
        foreach (var provider in _providers)
        {
            await provider.DisposeAsync();
        }

        await _localA.DisposeAsync(); // stopping a stopped server is harmless
        await _localB.DisposeAsync();
        await _cloud.DisposeAsync();
    }

    [Fact]
    public async Task FiveTurnLoop_OnAToolCapableLocalBackend_RunsAllFiveTurnsOnIt()
    {
        var chat = Agent(Chain());

        var response = await chat.GetResponseAsync("Look up the order's three parts, then sum them up.", Tools());

        var outcome = response.GetRouteOutcome()!;
        Assert.Equal(5, outcome.Turns.Count);
        var first = outcome.Turns[0].Backend;
        Assert.All(outcome.Turns, turn => Assert.Equal((BackendLane.Local, first), (turn.Target, turn.Backend)));
        Assert.All(outcome.Turns.Skip(1), turn => Assert.Equal(RouteReason.ToolLoop, turn.DecisionReason));
        var (used, other) = first == "local-a" ? (_localA, _localB) : (_localB, _localA);
        Assert.Equal(5, used.Requests.Count); // round robin alone would have sent turns 2 and 4 to the other server
        Assert.Empty(other.Requests);
        Assert.Empty(_cloud.Requests);
        Assert.Null(outcome.ToolLoopMovedFrom);
        Assert.Contains("done after 4 tool result(s)", response.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task FiveTurnLoop_WithAffinityOff_IsRoutedTurnByTurn()
    {
        var chat = Agent(Chain("\"ToolLoops\": { \"Enabled\": false },"));

        var response = await chat.GetResponseAsync("Look up the order's three parts, then sum them up.", Tools());

        var outcome = response.GetRouteOutcome()!;
        Assert.Equal(5, outcome.Turns.Count);
        Assert.DoesNotContain(outcome.Turns, turn => turn.DecisionReason == RouteReason.ToolLoop);
        Assert.Equal((3, 2), (_localA.Requests.Count, _localB.Requests.Count)); // the round robin, turn by turn
    }

    [Fact]
    public async Task LocalStandInStoppedAfterTurnTwo_TurnsThreeToFiveGoTogetherToTheCloud()
    {
        var chat = Agent(Chain(localBackends: 1));

        var response = await chat.GetResponseAsync("Look up the order's three parts, then sum them up.", Tools(stopAfterStep: 2, _localA));

        var outcome = response.GetRouteOutcome()!;
        Assert.Equal(5, outcome.Turns.Count);
        Assert.All(outcome.Turns.Take(2), turn => Assert.Equal(("local-a", (string?)null), (turn.Backend, turn.ToolLoopMovedFrom)));
        Assert.All(outcome.Turns.Skip(2), turn => Assert.Equal((BackendLane.Cloud, "openai", "local-a"), (turn.Target, turn.Backend, turn.ToolLoopMovedFrom)));
        Assert.Equal(EscalationReason.LocalError, outcome.Turns[2].EscalationReason); // turn 3 found the local server gone
        Assert.All(outcome.Turns.Skip(3), turn => Assert.Equal((RouteReason.ToolLoop, EscalationReason.ToolLoop), (turn.DecisionReason, turn.EscalationReason)));
        Assert.Equal(2, _localA.Requests.Count);
        Assert.Equal(3, _cloud.Requests.Count);
        Assert.Equal("local-a", outcome.ToolLoopMovedFrom); // the whole loop's outcome says it moved
        Assert.Contains("[gpt-4o] done after 4 tool result(s)", response.Text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task LocalBackendStoppedAfterTurnTwo_TurnsThreeToFiveMoveTogetherToTheOtherLocalBackend()
    {
        var chat = Agent(Chain(roundRobinStartsAt: "local-a"));

        var response = await chat.GetResponseAsync("Look up the order's three parts, then sum them up.", Tools(stopAfterStep: 2, _localA));

        var outcome = response.GetRouteOutcome()!;
        Assert.Equal(["local-a", "local-a", "local-b", "local-b", "local-b"], outcome.Turns.Select(t => t.Backend));
        Assert.All(outcome.Turns.Skip(2), turn => Assert.Equal("local-a", turn.ToolLoopMovedFrom));
        Assert.Equal(2, _localA.Requests.Count);
        Assert.Equal(3, _localB.Requests.Count);
        Assert.Empty(_cloud.Requests);
    }

    [Fact]
    public async Task LocalOnlyLoop_LocalStandInStopped_NeverMovesToTheCloud()
    {
        var chat = Agent(Chain(localBackends: 1));

        var error = await Assert.ThrowsAsync<LocalBackendUnavailableException>(() => chat.GetResponseAsync(
            "Look up the patient's three records, then sum them up.", Tools(stopAfterStep: 2, _localA).WithDataPolicy(DataPolicy.LocalOnly)));

        Assert.NotNull(error.GetRouteOutcome());
        Assert.Equal(2, _localA.Requests.Count);
        Assert.Empty(_cloud.Requests);
    }

    [Fact]
    public async Task StreamedLoop_StoppedAfterTurnTwo_TurnsThreeToFiveGoTogetherToTheCloud()
    {
        var chat = Agent(Chain(localBackends: 1));

        var text = new System.Text.StringBuilder();
        await foreach (var update in chat.GetStreamingResponseAsync("Look up the order's three parts, then sum them up.", Tools(stopAfterStep: 2, _localA)))
        {
            text.Append(update.Text);
        }

        Assert.Equal(2, _localA.Requests.Count);
        Assert.Equal(3, _cloud.Requests.Count);
        Assert.All(_cloud.Requests, r => Assert.Contains("\"stream\":true", r.Body, StringComparison.Ordinal));
        Assert.Contains("[gpt-4o] done after 4 tool result(s)", text.ToString(), StringComparison.Ordinal);
    }

    private static async Task<LoopbackServer> StandIn(string model)
    {
        var server = await LoopbackServer.StartAsync();
        server.ProbesApart = true; // the chain probes its backends from the moment it is built
        server.Default = ToolCallingServer.Respond(model, ToolTurns);
        return server;
    }

    /// <summary>The chain from configuration: tools do not make a request Complex here (<c>Classification:ToolsCategory</c>), so the loop may run locally.</summary>
    private IChatClient Chain(string extra = "", int localBackends = 2, string? roundRobinStartsAt = null)
    {
        var second = localBackends == 2
            ? $$""", { "Name": "local-b", "Provider": "vllm", "Endpoint": "{{_localB.V1}}", "Model": "Qwen/Qwen2.5-7B-Instruct", "ContextWindow": 8192 }"""
            : string.Empty;
        var weightA = roundRobinStartsAt == "local-a" ? ", \"Weight\": 2" : string.Empty;
        var json = $$"""
            {
              "HybridInference": {
                {{extra}}
                "Classification": { "ToolsCategory": "Routine" },
                "Local": { "Backends": [ { "Name": "local-a", "Provider": "vllm", "Endpoint": "{{_localA.V1}}", "Model": "Qwen/Qwen2.5-7B-Instruct", "ContextWindow": 8192{{weightA}} }{{second}} ] },
                "Cloud": { "Backends": [ { "Name": "openai", "Provider": "openai", "Endpoint": "{{_cloud.V1}}", "Model": "gpt-4o", "ApiKey": "sk-test", "AllowInsecureHttp": true } ] },
                "Pricing": { "gpt-4o": { "InputPerMillionTokens": 2.5, "OutputPerMillionTokens": 10 } }
              }
            }
            """;
        var services = new ServiceCollection();
        services.AddHybridInference(JsonSettings.Parse(json).GetSection("HybridInference")).AddOpenAIProviders();
        var provider = services.BuildServiceProvider();
        _providers.Add(provider);
        return provider.GetRequiredService<IChatClient>();
    }

    private static IChatClient Agent(IChatClient hybrid) => new ChatClientBuilder(hybrid).UseFunctionInvocation().Build();

    /// <summary>The loop's tool; when <paramref name="stop"/> is given, calling it for <paramref name="stopAfterStep"/> stops that server first (killed mid-loop).</summary>
    private static ChatOptions Tools(int stopAfterStep = 0, LoopbackServer? stop = null) => new()
    {
        Tools =
        [
            AIFunctionFactory.Create(
                async (int step) =>
                {
                    if (stop is not null && step == stopAfterStep)
                    {
                        await stop.DisposeAsync();
                    }

                    return $"part {step} costs {step * 10} EUR";
                },
                "lookup_part",
                "Looks up one part of the order."),
        ],
    };
}
