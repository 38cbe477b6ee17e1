using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Polly.CircuitBreaker;
using Xunit.Abstractions;

namespace HybridInference.OpenAI.Tests;

/// <summary>
/// A cloud outage over HTTP on 127.0.0.1, in real time: the cloud server is stopped (its port refuses connections)
/// under traffic of one request a second, then started again on the same port. Degradable work keeps being answered,
/// the cloud breaker opens within seconds, and once the cloud is back its first passed health probe ends the break
/// (set to ten minutes) and the waiting refinements go out.
/// </summary>
/// <remarks>
/// Runs alone (<see cref="CloudOutageCollection"/>): while the cloud's port is free, a server another test starts
/// could be given it, and would then get this chain's probes and refinements.
/// </remarks>
[Collection(CloudOutageCollection.Name)]
public sealed class CloudOutageOverHttpTests(ITestOutputHelper output) : IAsyncLifetime
{
    private static readonly TimeSpan ProbeInterval = TimeSpan.FromSeconds(1);
    private LoopbackServer _local = null!;
    private LoopbackServer _cloud = null!;
    private int _cloudPort;
    private HostedChain _chain = null!;

    public async Task InitializeAsync()
    {
        _local = await LoopbackServer.StartAsync();
        _local.ProbesApart = true;
        _local.Default = Respond.Json(Fixture.Completion("vllm", "local"));
        _cloud = await StartCloudAsync(port: 0);
        _cloudPort = _cloud.BaseAddress.Port;
        var json = $$"""
            {
              "HybridInference": {
                "Routing": { "BreakDuration": "00:10:00" },
                "Local": { "Backends": [ { "Name": "vllm", "Provider": "vllm", "Endpoint": "{{_local.V1}}", "Model": "m", "ContextWindow": 8192 } ] },
                "Cloud": { "HealthCheckInterval": "{{ProbeInterval}}",
                           "Backends": [ { "Name": "openai", "Provider": "openai", "Endpoint": "{{_cloud.V1}}", "Model": "gpt-4o", "ApiKey": "sk-test", "AllowInsecureHttp": true, "Timeout": "00:00:05" } ] },
                "Pricing": { "gpt-4o": { "InputPerMillionTokens": 2.5, "OutputPerMillionTokens": 10 } },
                "Refinement": { "Outbox": { "PollInterval": "00:00:00.050", "RetryDelay": "00:00:01", "MaxRetryDelay": "00:01:00" } }
              }
            }
            """;
        _chain = await HostedChain.StartAsync(json);
    }

    public async Task DisposeAsync()
    {
        await _chain.DisposeAsync();
        await _local.DisposeAsync();
        await _cloud.DisposeAsync();
    }

    private static Task<LoopbackServer> StartCloudAsync(int port) => HostedChain.StartCloudAsync(port, "cloud");

    private static ChatOptions Complex() => new ChatOptions().WithTaskCategory(TaskCategory.Complex);

    [Fact]
    public async Task CloudStoppedUnderTraffic_NoCallerSeesAnError_TheBreakerOpensWithinSeconds_AndRefinementsGoOutWithinAProbeIntervalOfItsReturn()
    {
        var circuit = () => _chain.Services.GetRequiredService<IHybridInferenceStatus>().GetStatus().CloudCircuit;
        Assert.Equal("cloud", (await _chain.Chat.GetResponseAsync("Plan the migration.", Complex())).Text);

        // Stopped: connections to its port are refused, and so are its probes.
        await _cloud.DisposeAsync();
        var down = Stopwatch.StartNew();
        var reasons = new List<RouteReason>();
        var handles = new List<RefinementHandle>();
        TimeSpan? openedAfter = null;
        for (var i = 0; i < 8; i++)
        {
            var paced = Task.Delay(TimeSpan.FromSeconds(1)); // one request a second: traffic, not a wait for a result
            var complex = await _chain.Chat.GetResponseAsync("Plan the migration.", Complex());
            Assert.Equal("local", complex.Text);
            reasons.Add(complex.GetRouteOutcome()!.DecisionReason);
            var draft = await _chain.Chat.GetResponseAsync("Write a tagline for a bakery.", new ChatOptions().WithRefinement());
            Assert.Equal("local", draft.Text);
            handles.Add(Assert.IsType<RefinementHandle>(draft.GetRefinement()));
            openedAfter ??= circuit() == CircuitState.Open ? down.Elapsed : null;
            await paced;
        }

        Assert.Equal(RouteReason.CloudUnavailable, reasons[0]);
        Assert.All(reasons, r => Assert.True(r is RouteReason.CloudUnavailable or RouteReason.CloudCircuitOpen, r.ToString()));
        Assert.Contains(RouteReason.CloudCircuitOpen, reasons);
        Assert.NotNull(openedAfter);
        Assert.True(openedAfter < TimeSpan.FromSeconds(6), $"the cloud breaker opened only after {openedAfter}");
        Assert.All(handles, h => Assert.False(h.Completion.IsCompleted, "a refinement ended while the cloud was away"));

        // Plugged back in on the same port.
        _cloud = await StartCloudAsync(_cloudPort);
        var back = Stopwatch.StartNew();
        var first = await Task.WhenAny(handles.Select(h => h.Completion)).WaitAsync(TimeSpan.FromSeconds(30));
        var firstRefinement = back.Elapsed;
        var all = await Task.WhenAll(handles.Select(h => h.Completion)).WaitAsync(TimeSpan.FromSeconds(30));
        var complexAgain = (await _chain.Chat.GetResponseAsync("Plan the migration.", Complex())).Text;

        output.WriteLine(
            $"cloud breaker open {openedAfter!.Value.TotalMilliseconds:0} ms after the stop ({string.Join(", ", reasons)}); " +
            $"first refinement delivered {firstRefinement.TotalMilliseconds:0} ms after the cloud's return (probe interval {ProbeInterval.TotalMilliseconds:0} ms)");
        Assert.Equal(RefinementStatus.Delivered, (await first).Status);
        Assert.All(all, r => Assert.Equal(RefinementStatus.Delivered, r.Status));
        Assert.True(firstRefinement < ProbeInterval + TimeSpan.FromSeconds(1), $"the first refinement went out {firstRefinement} after the cloud's return");
        Assert.Equal("cloud", complexAgain);
        Assert.Equal(CircuitState.Closed, circuit());
    }
}

/// <summary>The collection of tests that free a port and take it again: run with no other test in parallel.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class CloudOutageCollection
{
    /// <summary>The collection's name.</summary>
    public const string Name = "cloud outage (a port freed and taken again)";
}
