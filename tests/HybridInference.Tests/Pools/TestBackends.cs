using System.Diagnostics.Metrics;
using HybridInference.Cost;
using HybridInference.Internal;
using HybridInference.Pools;
using HybridInference.Telemetry;
using Microsoft.Extensions.DependencyInjection;

namespace HybridInference.Tests.Pools;

/// <summary>Builds the pool tests' backends: a client behind backend metering and state, on the given clock.</summary>
internal static class TestBackends
{
    private static readonly HybridInferenceMetrics Metrics = new(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>());

    public static BackendChatClient Create(
        IChatClient client, string name, TimeProvider time, BackendLane lane = BackendLane.Local, int? window = null, int weight = 1,
        int? maxInFlight = null, TimeSpan? ejectionDuration = null, TimeSpan? timeout = null) =>
        new(
            client,
            new BackendInfo(name, lane, "fake", name, window) { Weight = weight, MaxConcurrentRequests = maxInFlight, Timeout = timeout ?? Defaults.BackendTimeout(lane) },
            new BackendState(time, failuresBeforeEjection: 3, ejectionDuration ?? TimeSpan.FromSeconds(30)),
            new CostCalculator(new HybridInferenceOptions(), []),
            Metrics,
            time);
}
