using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace HybridInference.Status;

/// <summary>
/// Reports one backend to ASP.NET Core health checks from the pool's knowledge of it (probes and real calls), without
/// calling the server: Healthy in service, Degraded on probation, Unhealthy when ejected.
/// </summary>
internal sealed class BackendHealthCheck(IHybridInferenceStatus status, string backend) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var backends = status.GetStatus().Backends;
        var snapshot = backends.FirstOrDefault(b => string.Equals(b.Name, backend, StringComparison.OrdinalIgnoreCase));
        if (snapshot is null)
        {
            // A discovered backend (Discovery) is its members, named backend/address:port: the healthiest speaks for it.
            var members = backends.Where(b => b.Name.StartsWith(backend + "/", StringComparison.OrdinalIgnoreCase)).ToList();
            if (members.Count == 0)
            {
                return Task.FromResult(HealthCheckResult.Unhealthy($"Backend '{backend}' is not part of the hybrid client."));
            }

            snapshot = members.MinBy(m => m.Health switch { BackendHealth.Healthy => 0, BackendHealth.Probation => 1, _ => 2 })!;
            var healthy = members.Count(m => m.Health == BackendHealth.Healthy);
            var summary = $"{backend} ({snapshot.Lane}): {healthy} of {members.Count} members healthy";
            var memberData = new Dictionary<string, object> { ["lane"] = snapshot.Lane.ToString(), ["members"] = members.Count, ["healthy_members"] = healthy };
            return Task.FromResult(snapshot.Health switch
            {
                BackendHealth.Healthy => HealthCheckResult.Healthy(summary, memberData),
                BackendHealth.Probation => HealthCheckResult.Degraded(summary, data: memberData),
                _ => HealthCheckResult.Unhealthy(summary, data: memberData),
            });
        }

        var data = new Dictionary<string, object>
        {
            ["lane"] = snapshot.Lane.ToString(),
            ["in_flight"] = snapshot.InFlight,
            ["calls"] = snapshot.Calls,
            ["consecutive_failures"] = snapshot.ConsecutiveFailures,
        };
        AddIfSet(data, "success_rate", snapshot.SuccessRate);
        AddIfSet(data, "latency_ewma_ms", snapshot.LatencyEwma?.TotalMilliseconds);
        AddIfSet(data, "latency_p95_ms", snapshot.LatencyP95?.TotalMilliseconds);
        AddIfSet(data, "last_error", snapshot.LastError);

        var description = $"{snapshot.Name} ({snapshot.Lane}): {snapshot.Health}";
        return Task.FromResult(snapshot.Health switch
        {
            BackendHealth.Healthy => HealthCheckResult.Healthy(description, data),
            BackendHealth.Probation => HealthCheckResult.Degraded(description, data: data),
            _ => HealthCheckResult.Unhealthy(description, data: data),
        });
    }

    private static void AddIfSet(Dictionary<string, object> data, string key, object? value)
    {
        if (value is not null)
        {
            data[key] = value;
        }
    }
}
