using HybridInference.Pools;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging.Abstractions;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.Pools;

/// <summary>Active health probes on the fake clock: a failed probe ejects, a passed one returns an ejected backend on probation.</summary>
public sealed class BackendHealthMonitorTests
{
    private readonly FakeTimeProvider _time = new();

    private BackendChatClient Backend(IChatClient client, string name) =>
        TestBackends.Create(client, name, _time, ejectionDuration: TimeSpan.FromMinutes(5));

    [Fact]
    public async Task FailedProbe_EjectsAtOnce_PassedProbe_PutsItOnProbation()
    {
        var probed = new ProbedClient("probed");
        var probedBackend = Backend(probed, "probed");
        var other = Backend(new FakeChatClient("other") { DefaultReply = _ => "other" }, "other");
        using var monitor = BackendHealthMonitor.Start([probedBackend, other], TimeSpan.FromSeconds(30), _time, NullLogger.Instance)!;
        var pool = new BackendPoolChatClient(BackendLane.Local, [probedBackend, other], LoadBalancingStrategy.Ordered, NullLogger.Instance, monitor: monitor);
        await monitor.LastRound; // the first round, at start

        probed.Healthy = false;
        _time.Advance(TimeSpan.FromSeconds(30));
        await monitor.LastRound;

        Assert.Equal(BackendHealth.Ejected, probedBackend.State.Health);
        Assert.Equal("other", (await pool.GetResponseAsync(User("x"))).Text);
        Assert.Empty(probed.Requests);
        var status = probedBackend.State.Snapshot(probedBackend.Info);
        Assert.Equal((false, _time.GetUtcNow()), (status.LastProbeHealthy, status.LastProbeAt));
        Assert.Equal("health probe: unhealthy", status.LastError); // Not the probe's description: the server's words.

        probed.Healthy = true;
        _time.Advance(TimeSpan.FromSeconds(30));
        await monitor.LastRound;

        Assert.Equal(BackendHealth.Probation, probedBackend.State.Health);
        Assert.Equal((null, null), (probedBackend.State.Snapshot(probedBackend.Info).LastError, probedBackend.State.Snapshot(probedBackend.Info).LastErrorAt));
        Assert.Equal("probed", (await pool.GetResponseAsync(User("x"))).Text);
        Assert.Equal(BackendHealth.Healthy, probedBackend.State.Health);
        Assert.Equal(3, probed.Probes);
    }

    [Fact]
    public void LastError_AfterASuccessfulCall_IsCleared()
    {
        var backend = Backend(new FakeChatClient("b"), "b");
        backend.State.RecordFailure(new TimeoutException(), countsAgainstHealth: true);
        Assert.Equal("TimeoutException", backend.State.Snapshot(backend.Info).LastError);

        backend.State.RecordSuccess(TimeSpan.FromMilliseconds(5));

        var status = backend.State.Snapshot(backend.Info);
        Assert.Equal((null, null, 0), (status.LastError, status.LastErrorAt, status.ConsecutiveFailures));
    }

    [Fact]
    public void NoBackendCanBeProbed_NoMonitor()
    {
        Assert.Null(BackendHealthMonitor.Start([Backend(new FakeChatClient(), "plain")], TimeSpan.FromSeconds(30), _time, NullLogger.Instance));
    }

    [Fact]
    public async Task ProbeThatThrows_CountsAsUnhealthy()
    {
        var probed = new ProbedClient("probed") { Throws = true };
        var backend = Backend(probed, "probed");
        using var monitor = BackendHealthMonitor.Start([backend], TimeSpan.FromSeconds(30), _time, NullLogger.Instance)!;

        await monitor.ProbeAllAsync();

        Assert.Equal(BackendHealth.Ejected, backend.State.Health);
        Assert.Equal("health probe: HttpRequestException", backend.State.Snapshot(backend.Info).LastError);
    }

    [Fact]
    public void Disposed_StopsProbing_AndMayBeDisposedAgain()
    {
        var probed = new ProbedClient("probed");
        var monitor = BackendHealthMonitor.Start([Backend(probed, "probed")], TimeSpan.FromSeconds(30), _time, NullLogger.Instance)!;

        monitor.Dispose();
        monitor.Dispose();
        _time.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(1, probed.Probes); // only the round at start
    }

    [Theory]
    [InlineData(1)]
    [InlineData(30)]
    [InlineData(600)]
    public async Task Start_ProbesAtOnce_ThenEveryInterval(int intervalSeconds)
    {
        var interval = TimeSpan.FromSeconds(intervalSeconds);
        var probed = new ProbedClient("probed");
        using var monitor = BackendHealthMonitor.Start([Backend(probed, "probed")], interval, _time, NullLogger.Instance)!;
        await monitor.LastRound;

        Assert.Equal(1, probed.Probes);
        _time.Advance(interval - TimeSpan.FromMilliseconds(1));
        Assert.Equal(1, probed.Probes);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        await monitor.LastRound;
        Assert.Equal(2, probed.Probes);
        _time.Advance(interval);
        await monitor.LastRound;
        Assert.Equal(3, probed.Probes);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    public async Task Start_ServerDownAtStart_IsEjectedBeforeAnyTimePasses(bool healthy, bool throws)
    {
        var probed = new ProbedClient("probed") { Healthy = healthy, Throws = throws };
        var backend = Backend(probed, "probed");
        using var monitor = BackendHealthMonitor.Start([backend], TimeSpan.FromSeconds(30), _time, NullLogger.Instance)!;
        await monitor.LastRound;

        Assert.Equal(healthy && !throws ? BackendHealth.Healthy : BackendHealth.Ejected, backend.State.Health);
        Assert.Equal(_time.GetUtcNow(), backend.State.Snapshot(backend.Info).LastProbeAt);
    }

    [Fact]
    public async Task Signal_CountsPassedProbesOnly_OfEveryBackendInTheLane()
    {
        var first = new ProbedClient("first");
        var second = new ProbedClient("second");
        using var monitor = BackendHealthMonitor.Start([Backend(first, "first"), Backend(second, "second")], TimeSpan.FromSeconds(30), _time, NullLogger.Instance)!;
        var pool = new BackendPoolChatClient(BackendLane.Local, [Backend(first, "first")], LoadBalancingStrategy.Ordered, NullLogger.Instance, monitor: monitor);
        await monitor.LastRound;
        Assert.Equal(2, monitor.Signal.Passes);
        Assert.Same(monitor.Signal, pool.GetService(typeof(LaneHealthSignal)));

        first.Healthy = false;
        _time.Advance(TimeSpan.FromSeconds(30));
        await monitor.LastRound;
        Assert.Equal(3, monitor.Signal.Passes); // the second passed, the first did not

        second.Throws = true;
        _time.Advance(TimeSpan.FromSeconds(30));
        await monitor.LastRound;
        Assert.Equal(3, monitor.Signal.Passes);

        first.Healthy = true;
        _time.Advance(TimeSpan.FromSeconds(30));
        await monitor.LastRound;
        Assert.Equal(4, monitor.Signal.Passes);
    }

    [Fact]
    public void Pool_WithoutProbes_PublishesNoSignal()
    {
        var pool = new BackendPoolChatClient(BackendLane.Local, [Backend(new FakeChatClient(), "plain")], LoadBalancingStrategy.Ordered, NullLogger.Instance);

        Assert.Null(pool.GetService(typeof(LaneHealthSignal)));
    }

    /// <summary>A backend whose server answers probes as told.</summary>
    private sealed class ProbedClient(string name) : DelegatingChatClient(new FakeChatClient(name) { DefaultReply = _ => name }), IBackendHealthProbe
    {
        public bool Healthy { get; set; } = true;

        public bool Throws { get; set; }

        public int Probes { get; private set; }

        public IReadOnlyList<FakeChatRequest> Requests => ((FakeChatClient)InnerClient).Requests;

        public Task<HealthCheckResult> CheckHealthAsync(CancellationToken cancellationToken = default)
        {
            Probes++;
            return Throws
                ? throw new HttpRequestException("connection refused")
                : Task.FromResult(Healthy ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("model loading"));
        }
    }
}
