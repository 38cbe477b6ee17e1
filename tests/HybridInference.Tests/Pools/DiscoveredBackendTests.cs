using System.Net.Sockets;
using HybridInference.Pools;
using HybridInference.Telemetry;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.Pools;

/// <summary>
/// A local backend with <c>Discovery</c> on the fake clock, its lookups answered by <see cref="ScriptedResolver"/>: one
/// member per address, each with its own health; members follow the answers; a failed or empty lookup changes nothing.
/// </summary>
public sealed class DiscoveredBackendTests : IDisposable
{
    private static readonly Uri Endpoint = new("http://engines.test:8000/v1");
    private readonly FakeTimeProvider _time = new();
    private readonly MemberClientFactory _factory = new();
    private readonly ScriptedResolver _resolver = new();
    private readonly ServiceProvider _services;

    public DiscoveredBackendTests()
    {
        _services = new ServiceCollection()
            .AddSingleton<TimeProvider>(_time)
            .AddMetrics()
            .AddLogging(logging => logging.AddFakeLogging())
            .BuildServiceProvider();
    }

    public void Dispose() => _services.Dispose();

    private BackendPoolChatClient Build(BackendDiscovery discovery = BackendDiscovery.Dns)
    {
        var options = new HybridInferenceOptions();
        options.Local.LoadBalancing = LoadBalancingStrategy.Ordered;
        var backend = new BackendOptions { Name = "vllm", Model = "m", Endpoint = Endpoint, Discovery = discovery, MaxConcurrentRequests = 4 };
        options.Local.Backends.Add(backend);
        var pool = new BackendPoolBuilder(BackendLane.Local, options) { Resolver = _resolver }
            .AddDiscoveredBackend(backend, _factory.Create)
            .Build(_services);
        return (BackendPoolChatClient)pool;
    }

    private static DiscoveredBackend Discovered(BackendPoolChatClient pool) => pool.Membership!.Discovered.Single();

    private static string[] Names(BackendPoolChatClient pool) => [.. pool.Backends.Select(b => b.Info.Name)];

    [Fact]
    public async Task ThreeAddresses_BecomeThreeMembers_NamedByAddress_EachAtItsAddress()
    {
        _resolver.Answer(8000, 3, 1, 2);
        using var pool = Build();
        await Discovered(pool).LastResolution;

        Assert.Equal(["vllm/10.0.0.1:8000", "vllm/10.0.0.2:8000", "vllm/10.0.0.3:8000"], Names(pool));
        Assert.Equal(("engines.test", BackendDiscovery.Dns), (_resolver.LastName, _resolver.LastDiscovery));
        Assert.Equal(new Uri("http://10.0.0.2:8000/v1"), _factory["vllm/10.0.0.2:8000"].Settings.Endpoint);
        Assert.Equal(BackendDiscovery.None, _factory["vllm/10.0.0.2:8000"].Settings.Discovery);
        Assert.All(pool.Backends, b => Assert.Equal(("vllm", true, 4), (b.Info.ConfiguredName, b.Info.Discovered, b.Info.MaxConcurrentRequests)));
        Assert.Equal("m", Assert.Single(pool.Models!.Models).Name);

        // The first member until the first answer was the configured endpoint itself; it leaves with no request in flight.
        var first = _factory["vllm"];
        Assert.Equal(Endpoint, first.Settings.Endpoint);
        _time.Advance(TimeSpan.FromSeconds(30));
        await Discovered(pool).LastResolution;
        Assert.True(first.Disposed);
    }

    [Fact]
    public async Task OneMemberFailing_IsEjectedAlone_TheOthersServe_AndTheNameIsLookedUpEarly()
    {
        _resolver.Answer(8000, 1, 2, 3);
        using var pool = Build();
        await Discovered(pool).LastResolution;
        _factory["vllm/10.0.0.1:8000"].Failing = true;

        var answers = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            answers.Add((await pool.GetResponseAsync(User("x"))).Text);
        }

        Assert.All(answers, a => Assert.Equal("vllm/10.0.0.2:8000", a)); // Failed over, before any output.
        Assert.Equal(
            [BackendHealth.Ejected, BackendHealth.Healthy, BackendHealth.Healthy],
            pool.Backends.Select(b => b.State.Health));

        // The ejection brings the next lookup forward to 5 s after the last one, instead of the 30 s interval.
        Assert.Equal(1, _resolver.Calls);
        _time.Advance(TimeSpan.FromSeconds(4));
        Assert.Equal(1, _resolver.Calls);
        _time.Advance(TimeSpan.FromSeconds(1));
        await Discovered(pool).LastResolution;
        Assert.Equal(2, _resolver.Calls);
    }

    [Fact]
    public async Task AddedAddress_BecomesAMember_AtTheNextLookup()
    {
        _resolver.Answer(8000, 1, 2, 3);
        using var pool = Build();
        await Discovered(pool).LastResolution;
        var before = pool.Backends.ToArray();

        _resolver.Answer(8000, 1, 2, 3, 4);
        _time.Advance(TimeSpan.FromSeconds(29));
        Assert.Equal(3, pool.Backends.Count);
        _time.Advance(TimeSpan.FromSeconds(1));
        await Discovered(pool).LastResolution;

        Assert.Equal(["vllm/10.0.0.1:8000", "vllm/10.0.0.2:8000", "vllm/10.0.0.3:8000", "vllm/10.0.0.4:8000"], Names(pool));
        Assert.Equal(before, pool.Backends.Take(3)); // The others keep their state (health, latency, in flight).
        Assert.Contains(_services.GetFakeLogCollector().GetSnapshot(), r => r.Id.Id == 200 && r.Message.Contains("4 member(s) now: 1 added, 0 leaving", StringComparison.Ordinal));
    }

    [Fact]
    public async Task VanishedAddress_FinishesItsRequest_ThenIsDisposed()
    {
        _resolver.Answer(8000, 1, 2);
        using var pool = Build();
        await Discovered(pool).LastResolution;
        var leaving = _factory["vllm/10.0.0.1:8000"];
        leaving.Hold = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var inFlight = pool.GetResponseAsync(User("x"));

        _resolver.Answer(8000, 2);
        _time.Advance(TimeSpan.FromSeconds(30));
        await Discovered(pool).LastResolution;

        Assert.Equal(["vllm/10.0.0.2:8000"], Names(pool));
        Assert.Equal("vllm/10.0.0.2:8000", (await pool.GetResponseAsync(User("y"))).Text);
        Assert.Equal(1, Discovered(pool).Draining);
        _time.Advance(TimeSpan.FromSeconds(30));
        await Discovered(pool).LastResolution;
        Assert.False(leaving.Disposed); // Still answering.

        leaving.Hold.SetResult();
        Assert.Equal("vllm/10.0.0.1:8000", (await inFlight).Text);
        _time.Advance(TimeSpan.FromSeconds(30));
        await Discovered(pool).LastResolution;
        Assert.True(leaving.Disposed);
        Assert.Equal(0, Discovered(pool).Draining);
    }

    [Fact]
    public async Task FailedOrEmptyLookup_KeepsTheMembers_AndIsLogged()
    {
        _resolver.Answer(8000, 1, 2);
        using var pool = Build();
        await Discovered(pool).LastResolution;
        var members = pool.Backends.ToArray();

        _resolver.Failure = new SocketException((int)SocketError.HostNotFound);
        _time.Advance(TimeSpan.FromSeconds(30));
        await Discovered(pool).LastResolution;
        Assert.Equal(members, pool.Backends);

        _resolver.Failure = null;
        _resolver.Answer(8000);
        _time.Advance(TimeSpan.FromSeconds(30));
        await Discovered(pool).LastResolution;
        Assert.Equal(members, pool.Backends);

        var warnings = _services.GetFakeLogCollector().GetSnapshot().Where(r => r.Level == LogLevel.Warning).ToList();
        Assert.Contains(warnings, r => r.Id.Id == 201 && r.Message.Contains("SocketException", StringComparison.Ordinal) && r.Message.Contains("its 2 member(s) are kept", StringComparison.Ordinal));
        Assert.Contains(warnings, r => r.Id.Id == 202 && r.Message.Contains("engines.test (Dns) has no addresses", StringComparison.Ordinal));
    }

    [Fact]
    public async Task MoreThan64Addresses_MakeTheFirst64Members_AndAreLogged()
    {
        _resolver.Answer(8000, [.. Enumerable.Range(1, 70)]);
        using var pool = Build();
        await Discovered(pool).LastResolution;

        Assert.Equal(64, pool.Backends.Count);
        Assert.Equal("vllm/10.0.0.64:8000", pool.Backends[^1].Info.Name);
        Assert.Contains(_services.GetFakeLogCollector().GetSnapshot(), r => r.Id.Id == 203 && r.Message.Contains("has 70 addresses; only the first 64", StringComparison.Ordinal));
    }

    [Fact]
    public async Task SrvAnswers_BringTheirPorts()
    {
        _resolver.Answer(9001, 1);
        using var pool = Build(BackendDiscovery.Srv);
        await Discovered(pool).LastResolution;

        Assert.Equal(["vllm/10.0.0.1:9001"], Names(pool));
        Assert.Equal(new Uri("http://10.0.0.1:9001/v1"), _factory["vllm/10.0.0.1:9001"].Settings.Endpoint);
        Assert.Equal(BackendDiscovery.Srv, _resolver.LastDiscovery);
    }

    [Fact]
    public async Task Members_AreTaggedApart_InDispatchesAndActiveRequests()
    {
        using var dispatches = new MetricCollector<long>(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), HybridInferenceTelemetry.MeterName, HybridInferenceTelemetry.Dispatches);
        using var active = new MetricCollector<int>(_services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>(), HybridInferenceTelemetry.MeterName, HybridInferenceTelemetry.ActiveRequests);
        _resolver.Answer(8000, 1, 2);
        using var pool = Build();
        await Discovered(pool).LastResolution;
        _factory["vllm/10.0.0.1:8000"].Failing = true;

        await pool.GetResponseAsync(User("x"));

        Assert.Equal(
            ["vllm/10.0.0.1:8000", "vllm/10.0.0.2:8000"],
            dispatches.GetMeasurementSnapshot().Select(m => (string)m.Tags[HybridInferenceTelemetry.BackendTag]!).Order());
        active.RecordObservableInstruments();
        var observed = active.GetMeasurementSnapshot().Select(m => (string)m.Tags[HybridInferenceTelemetry.BackendTag]!).ToList();
        Assert.Contains("vllm/10.0.0.2:8000", observed);
        Assert.DoesNotContain("vllm", observed); // The first member left the gauge with the pool.
    }
}
