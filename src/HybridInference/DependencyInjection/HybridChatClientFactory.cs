using HybridInference.CircuitBreaker;
using HybridInference.Cost;
using HybridInference.Internal;
using HybridInference.Pools;
using HybridInference.RateLimiting;
using HybridInference.Status;
using HybridInference.Telemetry;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace HybridInference.DependencyInjection;

/// <summary>Builds the hybrid client from the validated options and the registered backends.</summary>
internal static class HybridChatClientFactory
{
    public static IChatClient Create(IServiceProvider services)
    {
        // Resolving the options runs every validator: a bad configuration fails here with all its problems listed.
        var options = services.GetRequiredService<IOptions<HybridInferenceOptions>>().Value;
        var registrations = services.GetServices<BackendRegistration>().ToList();
        var providers = services.GetServices<IBackendClientFactory>().ToList();
        var metrics = services.GetRequiredService<HybridInferenceMetrics>();
        var time = ChainServices.Time(services);
        var logger = ChainServices.Logger<HybridInferenceBuilder>(services);

        var localInfos = Describe(BackendLane.Local, options.Local.Backends, registrations, providers);
        var cloudInfos = Describe(BackendLane.Cloud, options.Cloud.Backends, registrations, providers);
        var costs = new CostCalculator(options, cloudInfos.Select(i => i.Info));
        foreach (var (info, _) in cloudInfos)
        {
            if (costs.FindPrice(info) is null)
            {
                Log.CloudModelNotPriced(logger, info.Name, info.Model ?? "(not configured)");
            }
        }

        var localPool = CreatePool(BackendLane.Local, options.Local, localInfos, services, costs, metrics, time, logger);
        var cloudPool = cloudInfos.Count == 0 ? null : CreatePool(BackendLane.Cloud, options.Cloud, cloudInfos, services, costs, metrics, time, logger);

        // The budget is checked before the breaker, so a request held back by it never counts as a cloud failure.
        var cloudCircuit = cloudPool is null ? null : new CircuitBreakerChatClient(
            cloudPool, options.Routing, time, ChainServices.Logger<CircuitBreakerChatClient>(services), BackendLane.Cloud);
        if (cloudCircuit is not null)
        {
            metrics.ObserveCloudCircuit(cloudCircuit.State);
        }

        IChatClient? cloudLane = cloudCircuit is null ? null : new CloudRateLimitChatClient(
            cloudCircuit,
            new CloudRateLimiter(options.Cloud.RequestsPerMinute, options.Cloud.TokensPerMinute, options.Cloud.RateLimitQueueTime, time));
        var policy = services.GetService<IRoutingPolicy>() ?? new DefaultRoutingPolicy(options.Routing.LocalContextLimit);

        var chain = new ChatClientChainBuilder(localPool)
            .UseCostMeter(options.Routing.RequestTimeout, options.Observability.CaptureMessageContent)
            .UseTaskClassifier(options.Classification, options.Privacy)
            .UseHybridRouter(cloudLane, policy, options.Routing.HedgeDelay)
            .UseSchemaValidatingFallback(cloudLane, options.Routing.FallbackMaxRetries, options.Validation.ExtractJson)
            .UseCircuitBreaker(options.Routing)
            .Build(services);

        var components = services.GetRequiredService<ChainComponents>();
        components.SetPools(localPool, cloudPool);
        components.LocalCircuit = chain.GetService<CircuitBreakerChatClient>();
        components.CloudCircuit = cloudCircuit;
        return chain;
    }

    /// <summary>
    /// Lists a lane's backends: configured ones in configuration order, then those registered only by code in
    /// registration order. Code registrations supply the client; configuration supplies model, window and weight.
    /// </summary>
    private static List<(BackendInfo Info, BackendRegistration Registration)> Describe(
        BackendLane lane, IList<BackendOptions> configured, List<BackendRegistration> registrations, List<IBackendClientFactory> providers)
    {
        var result = new List<(BackendInfo, BackendRegistration)>();
        foreach (var backend in configured)
        {
            // A client registered by code wins; otherwise the provider package creates it (validation made sure one exists).
            var registration = registrations.Find(r => r.Lane == lane && string.Equals(r.Name, backend.Name, StringComparison.OrdinalIgnoreCase))
                ?? new BackendRegistration(backend.Name, lane, services => providers.First(f => f.CanCreate(backend.Provider!)).Create(backend, lane, services));
            result.Add((new BackendInfo(backend.Name, lane, backend.Provider ?? "unknown", backend.Model, backend.ContextWindow)
            {
                Weight = backend.Weight,
                MaxConcurrentRequests = backend.MaxConcurrentRequests,
                Timeout = backend.Timeout ?? Defaults.BackendTimeout,
            }, registration));
        }

        foreach (var registration in registrations)
        {
            if (registration.Lane == lane && !configured.Any(b => string.Equals(b.Name, registration.Name, StringComparison.OrdinalIgnoreCase)))
            {
                result.Add((new BackendInfo(registration.Name, lane, "unknown", Model: null, ContextWindow: null), registration));
            }
        }

        return result;
    }

    private static BackendPoolChatClient CreatePool(
        BackendLane lane,
        BackendLaneOptions laneOptions,
        List<(BackendInfo Info, BackendRegistration Registration)> backends,
        IServiceProvider services,
        CostCalculator costs,
        HybridInferenceMetrics metrics,
        TimeProvider time,
        ILogger logger)
    {
        var clients = new List<BackendChatClient>(backends.Count);
        foreach (var (info, registration) in backends)
        {
            var client = registration.Factory(services)
                ?? throw new InvalidOperationException($"The client factory of backend '{info.Name}' returned null.");

            // Fill in what configuration left open from what the client says of itself.
            var metadata = client.GetService<ChatClientMetadata>();
            var described = info with
            {
                Provider = info.Provider != "unknown" ? info.Provider : metadata?.ProviderName ?? "unknown",
                Model = info.Model ?? metadata?.DefaultModelId,
            };
            var state = new BackendState(time, laneOptions.FailuresBeforeEjection, laneOptions.EjectionDuration);
            clients.Add(new BackendChatClient(client, described, state, costs, metrics, time));
        }

        metrics.ObserveBackends(clients);
        var monitor = BackendHealthMonitor.Start(clients, laneOptions.HealthCheckInterval, time, logger);
        return new BackendPoolChatClient(lane, clients, laneOptions.LoadBalancing, logger, random: null, monitor, laneOptions.TimeToFirstToken);
    }
}
