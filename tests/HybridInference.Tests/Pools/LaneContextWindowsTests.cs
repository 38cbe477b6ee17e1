using HybridInference.Internal;
using HybridInference.Pools;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.Pools;

/// <summary>
/// A context window the server reports on its health probe (<see cref="HealthProbeData.ContextWindow"/>): taken when
/// none is configured, checked against a configured one (the smaller is used, a disagreement is a warning), and read by
/// the pool from then on.
/// </summary>
public sealed class LaneContextWindowsTests
{
    private readonly FakeTimeProvider _time = new();
    private readonly FakeLogger _logger = new();

    private static ChatOptions WithProfile(int tokens, DataPolicy policy = DataPolicy.Any) =>
        new HybridChatOptions(null, new RequestState { Profile = new TaskProfile(TaskCategory.Routine, CategorySource.Default, tokens, null, false, policy) });

    private (BackendChatClient Backend, ReportingClient Client, BackendHealthMonitor Monitor, BackendPoolChatClient Pool) Lane(int? configured, int? reported)
    {
        var client = new ReportingClient("local") { Window = reported };
        var backend = TestBackends.Create(client, "local", _time, window: configured);
        var windows = new LaneContextWindows([backend.Info], _logger);
        var monitor = BackendHealthMonitor.Start([backend], TimeSpan.FromSeconds(30), _time, _logger, windows)!;
        var pool = new BackendPoolChatClient(BackendLane.Local, [backend], LoadBalancingStrategy.Ordered, _logger, monitor: monitor, windows: windows);
        return (backend, client, monitor, pool);
    }

    [Theory]
    [InlineData(null, 2048, 2048, false)]
    [InlineData(null, 8192, 8192, false)]
    [InlineData(null, 131072, 131072, false)]
    [InlineData(8192, 2048, 2048, true)]
    [InlineData(2048, 8192, 2048, true)]
    [InlineData(4096, 4096, 4096, false)]
    public async Task ReportedWindow_IsUsed_TheSmallerWhenConfiguredToo_AndADisagreementIsAWarning(int? configured, int reported, int expected, bool warned)
    {
        var (backend, _, monitor, pool) = Lane(configured, reported);
        using (monitor)
        {
            await monitor.ProbeAllAsync();
        }

        Assert.Equal((expected, reported), (backend.Info.Window, backend.Info.ReportedWindow));
        Assert.Equal(expected, pool.Windows.Largest);
        var warnings = _logger.Collector.GetSnapshot().Where(r => r.Level == LogLevel.Warning).Select(r => r.Message).ToList();
        if (warned)
        {
            var warning = Assert.Single(warnings);
            Assert.Contains($"configured with ContextWindow {configured} but its server reports {reported}", warning, StringComparison.Ordinal);
        }
        else
        {
            Assert.Empty(warnings);
            Assert.Contains(_logger.Collector.GetSnapshot(), r => r.Message.Contains($"reports a context window of {reported} tokens", StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task NoReport_KeepsTheConfiguredWindow_OrNone()
    {
        var (configuredBackend, _, configuredMonitor, _) = Lane(configured: 8192, reported: null);
        var (openBackend, _, openMonitor, openPool) = Lane(configured: null, reported: null);
        using (configuredMonitor)
        using (openMonitor)
        {
            await configuredMonitor.ProbeAllAsync();
            await openMonitor.ProbeAllAsync();
        }

        Assert.Equal(8192, configuredBackend.Info.Window);
        Assert.Equal((null, null), (openBackend.Info.Window, openPool.Windows.Largest));
        Assert.Empty(_logger.Collector.GetSnapshot());
    }

    [Theory]
    [InlineData(1024, 3000)]
    [InlineData(2048, 2049)]
    [InlineData(4096, 100_000)]
    public async Task AfterTheServerReportsItsWindow_ThePoolSendsItNothingLarger(int reported, int required)
    {
        // The server reports no window at first (the probe at start finds none): the request goes out.
        var (_, client, monitor, pool) = Lane(configured: null, reported: null);
        using (monitor)
        {
            await monitor.ProbeAllAsync();
            Assert.Equal("ok", (await pool.GetResponseAsync(User("x"), WithProfile(required))).Text);
            client.Window = reported;
            await monitor.ProbeAllAsync();
        }

        var error = await Assert.ThrowsAsync<ContextWindowExceededException>(() => pool.GetResponseAsync(User("x"), WithProfile(required, DataPolicy.LocalOnly)));

        Assert.Equal((required, reported), (error.RequiredTokens, error.ContextWindow));
        Assert.Single(client.Requests);
        Assert.Equal("ok", (await pool.GetResponseAsync(User("x"), WithProfile(reported))).Text);
    }

    [Fact]
    public async Task ServerReportsAnotherWindowLater_TheNewOneIsUsed()
    {
        var (backend, client, monitor, pool) = Lane(configured: null, reported: 8192);
        using (monitor)
        {
            await monitor.ProbeAllAsync();
            client.Window = 2048; // Restarted with -c 8192 -np 4.
            await monitor.ProbeAllAsync();
        }

        Assert.Equal((2048, 2048), (backend.Info.Window, pool.Windows.Largest));
    }

    [Fact]
    public void Largest_IsTheLargestKnownWindowOfTheLane()
    {
        BackendInfo Info(string name, int? window) => new(name, BackendLane.Local, "fake", name, window);
        var small = Info("small", 2048);
        var open = Info("open", null);
        var windows = new LaneContextWindows([small, open], _logger);
        Assert.Equal(2048, windows.Largest);

        windows.Report(open, 32768);

        Assert.Equal(32768, windows.Largest);
    }

    [Theory]
    [InlineData(8192, 2048, true)]
    [InlineData(4096, 4096, false)]
    [InlineData(1024, 2048, false)]
    public void ConfiguredLocalContextLimit_AboveTheReportedWindows_IsAWarningOnce(int limit, int reported, bool warned)
    {
        var open = new BackendInfo("open", BackendLane.Local, "fake", "m", null);
        var windows = new LaneContextWindows([open], _logger) { ConfiguredLimit = limit };

        windows.Report(open, reported);
        windows.Report(open, reported);

        var warnings = _logger.Collector.GetSnapshot().Where(r => r.Level == LogLevel.Warning).ToList();
        Assert.Equal(warned ? 1 : 0, warnings.Count);
        if (warned)
        {
            Assert.Contains($"LocalContextLimit ({limit}) is larger than the largest local context window ({reported})", warnings[0].Message, StringComparison.Ordinal);
        }
    }

    /// <summary>A backend whose probe reports a context window as told.</summary>
    private sealed class ReportingClient(string name) : DelegatingChatClient(new FakeChatClient(name) { DefaultReply = _ => "ok" }), IBackendHealthProbe
    {
        public int? Window { get; set; }

        public IReadOnlyList<FakeChatRequest> Requests => ((FakeChatClient)InnerClient).Requests;

        public Task<HealthCheckResult> CheckHealthAsync(CancellationToken cancellationToken = default) =>
            Task.FromResult(Window is { } window
                ? HealthCheckResult.Healthy(data: new Dictionary<string, object> { [HealthProbeData.ContextWindow] = window })
                : HealthCheckResult.Healthy());
    }
}
