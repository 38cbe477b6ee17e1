using System.Text;
using HybridInference.Telemetry;
using HybridInference.ToolLoops;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HybridInference.Tests.ToolLoops;

/// <summary>Tool-loop affinity in the chain DI builds, with a caller that sends the calls and results back itself, on a fake clock.</summary>
public sealed class ToolLoopChainTests : IDisposable
{
    private readonly FakeTimeProvider _time = new();
    private readonly ToolCallingBackend _local;
    private readonly ToolCallingBackend _cloud;
    private readonly List<ServiceProvider> _providers = [];

    public ToolLoopChainTests()
    {
        _local = new("local-model", _time);
        _cloud = new("cloud-model", _time);
    }

    private static ChatOptions Tools => new() { Tools = [AIFunctionFactory.Create((int step) => $"part {step}", "lookup_part")] };

    public void Dispose()
    {
        foreach (var provider in _providers)
        {
            provider.Dispose();
        }
    }

    [Fact]
    public async Task MovedLoop_LocalBackAtOnce_StaysOnTheCloudForTheRestOfTheLoop()
    {
        var chat = Chain();
        var loop = new Loop(chat, Tools);

        var turns = new List<RouteOutcome>();
        for (var turn = 1; turn <= 5; turn++)
        {
            _local.Down = turn == 3; // down for turn 3 only: no ping-pong back once it is up again
            turns.Add(await loop.NextTurnAsync());
        }

        Assert.Equal([BackendLane.Local, BackendLane.Local, BackendLane.Cloud, BackendLane.Cloud, BackendLane.Cloud], turns.Select(t => t.Target));
        Assert.Equal([null, null, "local", "local", "local"], turns.Select(t => t.ToolLoopMovedFrom));
        Assert.Equal(RouteReason.ToolLoop, turns[1].DecisionReason);
        Assert.All(turns.Skip(3), t => Assert.Equal((RouteTarget.Cloud, RouteReason.ToolLoop), (t.Decision, t.DecisionReason)));
        Assert.Equal(3, _local.Calls); // turns 1, 2 and the failed try of turn 3
        Assert.Equal(3, _cloud.Calls);
        Assert.Contains("[cloud-model] done after 4", loop.LastText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task MovedLoop_CountsTheMove_ByLanes()
    {
        var chat = Chain(out var provider);
        using var metrics = new MeterCollector(provider.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), HybridInferenceTelemetry.MeterName);
        var loop = new Loop(chat, Tools);

        await loop.NextTurnAsync();
        _local.Down = true;
        await loop.NextTurnAsync();
        await loop.NextTurnAsync();

        Assert.Equal(1, metrics.Sum(HybridInferenceTelemetry.ToolLoopMoves, (HybridInferenceTelemetry.FromLaneTag, "local"), (HybridInferenceTelemetry.ToLaneTag, "cloud")));
    }

    [Fact]
    public async Task Loop_ResultsSentBackAfterTheExpiry_AreRoutedOnTheirOwn()
    {
        var chat = Chain(settings: "\"ToolLoops\": { \"CallExpiry\": \"00:05:00\" },");
        var loop = new Loop(chat, Tools);
        await loop.NextTurnAsync();
        _local.Down = true;
        await loop.NextTurnAsync(); // moved to the cloud
        _local.Down = false;

        _time.Advance(TimeSpan.FromMinutes(5) - TimeSpan.FromSeconds(1));
        var withinExpiry = await loop.NextTurnAsync();
        _time.Advance(TimeSpan.FromMinutes(5));
        var afterExpiry = await loop.NextTurnAsync();

        Assert.Equal((BackendLane.Cloud, RouteReason.ToolLoop), (withinExpiry.Target, withinExpiry.DecisionReason));
        Assert.Equal((BackendLane.Local, RouteReason.Default, null), (afterExpiry.Target, afterExpiry.DecisionReason, afterExpiry.ToolLoopMovedFrom));
    }

    [Fact]
    public async Task LocalOnlyLoop_LocalDown_FailsWithoutReachingTheCloud()
    {
        var chat = Chain();
        var loop = new Loop(chat, Tools.WithDataPolicy(DataPolicy.LocalOnly));
        await loop.NextTurnAsync();
        _local.Down = true;

        await Assert.ThrowsAsync<LocalBackendUnavailableException>(loop.NextTurnAsync);

        Assert.Equal(0, _cloud.Calls);
    }

    [Fact]
    public async Task StreamedLoop_KeepsItsLane_AndMovesTogether()
    {
        var chat = Chain();
        var loop = new Loop(chat, Tools, streamed: true);

        var first = await loop.NextTurnAsync();
        var second = await loop.NextTurnAsync();
        _local.Down = true;
        var third = await loop.NextTurnAsync();
        _local.Down = false;
        var fourth = await loop.NextTurnAsync();

        Assert.Equal((BackendLane.Local, RouteReason.ToolLoop), (second.Target, second.DecisionReason));
        Assert.Equal((BackendLane.Cloud, "local"), (third.Target, third.ToolLoopMovedFrom));
        Assert.Equal((BackendLane.Cloud, RouteReason.ToolLoop, "local"), (fourth.Target, fourth.DecisionReason, fourth.ToolLoopMovedFrom));
        Assert.Equal(BackendLane.Local, first.Target);
    }

    [Fact]
    public async Task TurnOfALocalLoop_AnsweringLate_IsNotHedgedToTheCloud()
    {
        var chat = Chain(settings: "\"Routing\": { \"HedgeDelay\": \"00:00:02\" },");
        var loop = new Loop(chat, Tools);
        await loop.NextTurnAsync();
        _local.Delay = TimeSpan.FromSeconds(10);

        var turn = loop.NextTurnAsync();
        _time.Advance(TimeSpan.FromSeconds(2)); // a routable local request would start its cloud hedge now
        Assert.Equal(0, _cloud.Calls);
        _time.Advance(TimeSpan.FromSeconds(8));
        var outcome = await turn;

        Assert.Equal((BackendLane.Local, RouteReason.ToolLoop, 1), (outcome.Target, outcome.DecisionReason, outcome.Attempts));
        Assert.Equal(0, _cloud.Calls);
    }

    [Fact]
    public async Task HandBuiltChain_WithUseToolLoopAffinity_KeepsTheLoopOnItsBackend()
    {
        var options = new HybridInferenceOptions();
        options.Classification.ToolsCategory = null;
        var other = new ToolCallingBackend("local-model");
        IChatClient cloudLane = new ChatClientBuilder(new BackendPoolBuilder(BackendLane.Cloud, options).AddBackend(new BackendOptions { Name = "cloud" }, _cloud).Build()).Build();
        IChatClient localLane = new ChatClientBuilder(new BackendPoolBuilder(BackendLane.Local, options)
                .AddBackend(new BackendOptions { Name = "local" }, _local)
                .AddBackend(new BackendOptions { Name = "other" }, other)
                .Build())
            .UseSchemaValidatingFallback(cloudLane)
            .Build();
        using IChatClient chat = new ChatClientBuilder(localLane)
            .UseCostMeter()
            .UseTaskClassifier(options.Classification)
            .UseToolLoopAffinity(configure: o => o.CallExpiry = TimeSpan.FromMinutes(1))
            .UseHybridRouter(cloudLane)
            .Build();
        var loop = new Loop(chat, Tools);

        var turns = new List<RouteOutcome>();
        for (var turn = 1; turn <= 5; turn++)
        {
            turns.Add(await loop.NextTurnAsync());
        }

        Assert.Single(turns.Select(t => t.Backend).Distinct()); // the pool's round robin alone would alternate
        Assert.Equal(5, _local.Calls + other.Calls);
        Assert.True(_local.Calls == 0 || other.Calls == 0);
        Assert.Equal(0, _cloud.Calls);
    }

    [Fact]
    public void Chain_WithToolLoopsOff_HasNoToolLoopAffinity()
    {
        Assert.NotNull(Chain().GetService<ToolCallRegistry>());
        Assert.Null(Chain(settings: "\"ToolLoops\": { \"Enabled\": false },").GetService<ToolCallRegistry>());
    }

    [Theory]
    [InlineData("\"MaxTrackedCalls\": 0", "HybridInference:ToolLoops:MaxTrackedCalls")]
    [InlineData("\"CallExpiry\": \"00:00:00\"", "HybridInference:ToolLoops:CallExpiry")]
    public void Chain_WithABadToolLoopsSetting_FailsAtStartNamingTheKey(string setting, string key)
    {
        var error = Assert.Throws<OptionsValidationException>(() => Chain(settings: $"\"ToolLoops\": {{ {setting} }},"));

        Assert.Contains(error.Failures, f => f.Contains(key, StringComparison.Ordinal));
    }

    private IChatClient Chain(string settings = "") => Chain(out _, settings);

    private IChatClient Chain(out ServiceProvider provider, string settings = "")
    {
        var json = $$"""
            {
              "HybridInference": {
                {{settings}}
                "Classification": { "ToolsCategory": "Routine" },
                "Local": { "Backends": [ { "Name": "local", "Provider": "vllm", "Model": "local-model", "ContextWindow": 8192 } ] },
                "Cloud": { "Backends": [ { "Name": "cloud", "Provider": "openai", "Model": "cloud-model" } ] }
              }
            }
            """;
        var configuration = new ConfigurationBuilder().AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json))).Build();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(_time);
        services.AddHybridInference(configuration.GetSection("HybridInference"))
            .AddLocalBackend("local", _ => _local)
            .AddCloudBackend("cloud", _ => _cloud);
        provider = services.BuildServiceProvider();
        _providers.Add(provider);
        return provider.GetRequiredService<IChatClient>();
    }

    /// <summary>A caller that runs the loop itself: sends the conversation, then the assistant's calls and a result for each.</summary>
    private sealed class Loop(IChatClient chat, ChatOptions options, bool streamed = false)
    {
        private readonly List<ChatMessage> _messages = [new(ChatRole.User, "Look up the order's parts, then sum them up.")];

        public string LastText { get; private set; } = string.Empty;

        public async Task<RouteOutcome> NextTurnAsync()
        {
            var response = streamed
                ? await chat.GetStreamingResponseAsync(_messages, options).ToChatResponseAsync()
                : await chat.GetResponseAsync(_messages, options);
            _messages.AddMessages(response);
            LastText = response.Text;
            foreach (var call in response.Messages.SelectMany(m => m.Contents).OfType<FunctionCallContent>())
            {
                _messages.Add(new ChatMessage(ChatRole.Tool, [new FunctionResultContent(call.CallId, $"part {call.Arguments?["step"]}")]));
            }

            return response.GetRouteOutcome()!;
        }
    }
}
