using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HybridInference.Tests.CircuitBreaker;

/// <summary>A scripted backend whose server answers health probes as told, counting them.</summary>
internal sealed class ProbedBackend(FakeChatClient inner) : DelegatingChatClient(inner), IBackendHealthProbe
{
    private int _probes;

    public FakeChatClient Fake => inner;

    public bool Healthy { get; set; } = true;

    public int Probes => Volatile.Read(ref _probes);

    public Task<HealthCheckResult> CheckHealthAsync(CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _probes);
        return Task.FromResult(Healthy ? HealthCheckResult.Healthy() : HealthCheckResult.Unhealthy("down"));
    }
}
