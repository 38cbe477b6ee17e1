using HybridInference.Telemetry;
using HybridInference.Tests.Chain;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.Telemetry;

/// <summary>hybrid_inference.backend.active_requests: the requests in flight at each backend, read by a real MeterListener.</summary>
public sealed class ActiveRequestsTests
{
    [Fact]
    public async Task ARequestInFlight_IsCountedAtItsBackend_UntilItEnds()
    {
        using var host = HybridHost.Create();
        host.Local.Reply("late", delay: TimeSpan.FromSeconds(5));

        var call = host.Chat.GetResponseAsync(User("Say hello"));
        host.Metrics.RecordObservableInstruments();
        var during = host.Metrics.Of(HybridInferenceTelemetry.ActiveRequests);

        host.Time.Advance(TimeSpan.FromSeconds(5));
        await call;
        host.Metrics.RecordObservableInstruments();
        var after = host.Metrics.Of(HybridInferenceTelemetry.ActiveRequests).Skip(during.Count).ToList();

        Assert.Equal(1, during.Single(m => m.Tag("backend") == "local").Value);
        Assert.Equal(("cloud", 0.0), (during.Single(m => m.Tag("backend") == "cloud").Tag("lane"), during.Single(m => m.Tag("backend") == "cloud").Value));
        Assert.Equal(0, after.Single(m => m.Tag("backend") == "local").Value);
    }
}
