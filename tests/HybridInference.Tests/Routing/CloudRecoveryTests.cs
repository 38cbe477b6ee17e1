using HybridInference.Pools;
using HybridInference.Refinement;
using HybridInference.Status;
using HybridInference.Tests.Chain;
using HybridInference.Tests.CircuitBreaker;
using Microsoft.Extensions.DependencyInjection;
using Polly.CircuitBreaker;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.Routing;

/// <summary>
/// The cloud lane at low traffic on the fake clock, with a cloud backend that answers health probes (every 10 s): its
/// breaker opens after Routing:FailuresBeforeBreak failures in a row, its first passed probe after the cloud's return
/// ends the break (BreakDuration is ten minutes here), and waiting refinements go out at once then, not a backoff later.
/// </summary>
public sealed class CloudRecoveryTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(10);

    private static (HybridHost Host, ProbedBackend Cloud) Create(string breakDuration = "00:10:00")
    {
        ProbedBackend? probed = null;
        var json = HybridHost.DefaultJson
            .Replace("\"BreakDuration\": \"00:00:30\"", $"\"BreakDuration\": \"{breakDuration}\"", StringComparison.Ordinal)
            .Replace("\"Cloud\": { ", "\"Cloud\": { \"HealthCheckInterval\": \"00:00:10\", ", StringComparison.Ordinal)
            .Replace("\"Pricing\":", "\"Refinement\": { \"Outbox\": { \"RetryDelay\": \"00:00:01\", \"MaxRetryDelay\": \"00:05:00\" } }, \"Pricing\":", StringComparison.Ordinal);
        var host = HybridHost.Create(json, wrapCloud: fake => probed = new ProbedBackend(fake));
        return (host, probed!);
    }

    private static BackendHealthMonitor CloudMonitor(HybridHost host) =>
        host.Provider.GetRequiredService<ChainComponents>().Pools.Single(p => p.Lane == BackendLane.Cloud).Monitor!;

    private static CircuitState CloudCircuit(HybridHost host) => host.Provider.GetRequiredService<IHybridInferenceStatus>().GetStatus().CloudCircuit;

    private static async Task SecondAsync(HybridHost host)
    {
        host.Time.Advance(TimeSpan.FromSeconds(1));
        await CloudMonitor(host).LastRound;
    }

    [Fact]
    public async Task CloudDownAtOneRequestASecond_OpensWithinFiveSeconds_AndItsFirstPassedProbeAfterItsReturnEndsTheBreak()
    {
        var (host, cloud) = Create();
        using var _ = host;
        await CloudMonitor(host).LastRound;
        host.Local.DefaultReply = r => "local";
        var cloudUp = false;
        cloud.Fake.DefaultReply = r => cloudUp ? "cloud" : throw new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused");
        cloud.Healthy = false;

        var openedAfter = -1;
        for (var second = 0; second < 60; second++)
        {
            var response = await host.Chat.GetResponseAsync(User("Plan the migration."), new ChatOptions().WithTaskCategory(TaskCategory.Complex));
            Assert.Equal("local", response.Text); // degraded, then routed local while open: never an error
            if (openedAfter < 0 && CloudCircuit(host) == CircuitState.Open)
            {
                openedAfter = second + 1;
            }

            await SecondAsync(host);
        }

        Assert.Equal(5, openedAfter);
        Assert.Equal(5, cloud.Fake.RequestCount); // failed probes keep the ten-minute break

        cloudUp = true;
        cloud.Healthy = true;
        string text;
        var seconds = 0;
        do
        {
            text = (await host.Chat.GetResponseAsync(User("Plan the migration."), new ChatOptions().WithTaskCategory(TaskCategory.Complex))).Text;
            await SecondAsync(host);
            seconds++;
        }
        while (text != "cloud" && seconds < 60);

        Assert.Equal("cloud", text);
        Assert.True(seconds <= Interval.TotalSeconds + 1, $"the cloud took complex work again only {seconds} s after its return");
        Assert.Equal(CircuitState.Closed, CloudCircuit(host));
    }

    [Fact]
    public async Task RefinementsWaitingOutAnOutage_GoOutWithinOneProbeIntervalOfTheCloudsReturn_NotABackoffLater()
    {
        var (host, cloud) = Create(breakDuration: "00:00:30");
        using var _ = host;
        await CloudMonitor(host).LastRound;
        var outbox = host.Provider.GetRequiredService<RefinementCoordinator>();
        host.Local.DefaultReply = r => "draft";
        var cloudUp = false;
        cloud.Fake.DefaultReply = r => cloudUp ? "refined" : throw new HttpRequestException(HttpRequestError.ConnectionError, "Connection refused");
        cloud.Healthy = false;
        var handle = (await host.Chat.GetResponseAsync("Write a tagline.", new ChatOptions().WithRefinement())).GetRefinement()!;

        // Twenty minutes of outage, ending just after a failed send: the item's wait has doubled to MaxRetryDelay (five
        // minutes), so without the probes it would next go out five minutes after the cloud's return.
        var sends = 0L;
        for (var second = 0; second < 20 * 60 || cloud.Fake.RequestCount == sends; second++)
        {
            sends = second < 20 * 60 ? cloud.Fake.RequestCount : sends;
            await outbox.RunOnceAsync(CancellationToken.None);
            await SecondAsync(host);
        }

        Assert.False(handle.Completion.IsCompleted);
        Assert.True(cloud.Fake.RequestCount >= 10, $"only {cloud.Fake.RequestCount} sends in the outage");
        cloudUp = true;
        cloud.Healthy = true;
        var seconds = 0;
        while (!handle.Completion.IsCompleted && seconds < 600)
        {
            await outbox.RunOnceAsync(CancellationToken.None);
            await SecondAsync(host);
            seconds++;
        }

        Assert.Equal(RefinementStatus.Delivered, (await handle.Completion).Status);
        Assert.True(seconds <= Interval.TotalSeconds + 1, $"the refinement went out {seconds} s after the cloud's return");
    }
}
