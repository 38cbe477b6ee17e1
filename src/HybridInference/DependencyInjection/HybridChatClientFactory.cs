using HybridInference.Cost;
using HybridInference.Internal;
using HybridInference.Pools;
using HybridInference.Refinement;
using HybridInference.Status;
using HybridInference.Telemetry;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HybridInference.DependencyInjection;

/// <summary>
/// Builds the hybrid client from the validated options and the registered backends, with the public pieces only:
/// two <see cref="BackendPoolBuilder"/> pools, two lanes and the spine composed of <c>Use...</c> calls on
/// <see cref="ChatClientBuilder"/>, with the user's middleware where <see cref="HybridInferenceBuilder"/> put it.
/// </summary>
internal static class HybridChatClientFactory
{
    public static IChatClient Create(IServiceProvider services)
    {
        // Resolving the options runs every validator: a bad configuration fails here with all its problems listed.
        var options = services.GetRequiredService<IOptions<HybridInferenceOptions>>().Value;
        var chain = services.GetRequiredService<ChainConfiguration>();
        var registrations = services.GetServices<BackendRegistration>().ToList();
        var providers = services.GetServices<IBackendClientFactory>().ToList();
        var logger = ChainServices.Logger<HybridInferenceBuilder>(services);

        var local = Describe(BackendLane.Local, options.Local.Backends, registrations, providers);
        var cloud = Describe(BackendLane.Cloud, options.Cloud.Backends, registrations, providers);
        ThrowIfUnknownBackends(chain, local, cloud);
        var tokenizers = services.GetService<ITokenCounterProvider>(); // loads every backend's tokenizer now, or fails naming its key
        var costs = new CostCalculator(options, cloud.Select(b => b.Info), tokenizers);
        foreach (var (info, _, _) in cloud)
        {
            if (costs.FindPrice(info) is null)
            {
                Log.CloudModelNotPriced(logger, info.Name, info.Model ?? "(not configured)");
            }
        }

        var localPool = CreatePool(BackendLane.Local, local, options, costs, chain, providers, services);
        var cloudPool = cloud.Count == 0 ? null : CreatePool(BackendLane.Cloud, cloud, options, costs, chain, providers, services);

        // The cloud lane: redaction, then the budget (before the breaker, so a request held back by it never counts
        // as a cloud failure), the breaker, JSON validation, the user's lane middleware, the pool.
        IChatClient? cloudLane = null;
        if (cloudPool is not null)
        {
            var cloudBuilder = new ChatClientBuilder(cloudPool)
                .UsePiiRedaction()
                .UseCloudBudget(options.Cloud)
                .UseCircuitBreaker(options.Routing, BackendLane.Cloud)
                .UseJsonValidation(BackendLane.Cloud, options.Validation);
            Apply(chain.CloudLane, cloudBuilder);
            cloudLane = cloudBuilder.Build(services);
        }

        // The local lane: hedging, the fallback (retry, escalate), the breaker, JSON validation, the user's lane middleware, the pool.
        var localBuilder = new ChatClientBuilder(localPool);
        if (cloudLane is not null && options.Routing.HedgeDelay is { } hedgeDelay)
        {
            localBuilder.UseHedging(cloudLane, hedgeDelay);
        }

        localBuilder
            .UseSchemaValidatingFallback(cloudLane, options.Routing.FallbackMaxRetries)
            .UseCircuitBreaker(options.Routing)
            .UseJsonValidation(BackendLane.Local, options.Validation);
        Apply(chain.LocalLane, localBuilder);
        var localLane = localBuilder.Build(services);

        // The local windows, as configured and as the servers report them: the default policy's limit follows them.
        var localWindows = localPool.GetService<BackendPoolChatClient>()?.Windows;
        if (localWindows is not null)
        {
            localWindows.ConfiguredLimit = options.Routing.LocalContextLimit;
        }

        // The spine: the user's middleware around it all, then refinement (with a cloud lane), meter, classifier, history
        // fitting (when on), tool-loop affinity (when on), router.
        var policy = services.GetService<IRoutingPolicy>() ?? new DefaultRoutingPolicy(options.Routing.LocalContextLimit, localWindows);
        var history = options.Local.History;
        var reducer = services.GetService<IChatReducer>();
        if (history.Mode == HistoryMode.Off && reducer is not null)
        {
            Log.HistoryReducerUnused(logger);
        }

        var spine = new ChatClientBuilder(localLane);
        Apply(chain.Chat, spine);
        var refinements = cloudLane is null ? null : services.GetRequiredService<RefinementCoordinator>();
        if (refinements is not null)
        {
            spine.UseRefinement(refinements);
        }

        spine
            .UseCostMeter(options.Routing.RequestTimeout, options.Observability.CaptureMessageContent)
            .UseTaskClassifier(options.Classification, options.Privacy, options.Routing, tokenizers, historyFitting: history.Mode != HistoryMode.Off);
        if (history.Mode != HistoryMode.Off)
        {
            // The summarizer is the local pool itself: summaries of the history never leave the machine, nor escalate.
            spine.UseHistoryFitting(history, localPool, reducer, options.Routing, policy);
        }

        // Tool-loop affinity (when on): a turn that sends back tool results goes where the calls were made.
        var client = spine
            .UseToolLoopAffinity(options.ToolLoops)
            .UseHybridRouter(cloudLane, policy, options.Routing.OnCloudUnavailable, refinements)
            .Build(services);

        var components = services.GetRequiredService<ChainComponents>();
        components.SetPools(localPool.GetService<BackendPoolChatClient>(), cloudPool?.GetService<BackendPoolChatClient>());
        components.LocalCircuit = localLane.GetService<CircuitBreaker.LaneCircuit>();
        components.CloudCircuit = cloudLane?.GetService<CircuitBreaker.LaneCircuit>();
        if (refinements is not null)
        {
            // The chain that sends refinements: metered and classified like any request (its cost is recorded, its
            // personal data redacted), always routed to the cloud lane, never answered locally.
            var sender = new ChatClientBuilder(new RefinementRouting.NoLocalLane())
                .UseCostMeter(options.Routing.RequestTimeout, options.Observability.CaptureMessageContent)
                .UseTaskClassifier(options.Classification, options.Privacy, configure: null, options.Routing, tokenizers)
                .UseHybridRouter(cloudLane, RefinementRouting.Instance)
                .Build(services);
            refinements.Attach(sender, components.CloudCircuit, cloudLane!.GetService<RateLimiting.CloudRateLimiter>());
            components.Refines = true;
        }

        return client;
    }

    private static void Apply(List<Action<ChatClientBuilder>> actions, ChatClientBuilder builder)
    {
        foreach (var action in actions)
        {
            action(builder);
        }
    }

    /// <summary>
    /// Lists a lane's backends: configured ones in configuration order, then those registered only by code in
    /// registration order. Code registrations supply the client; configuration supplies model, window and weight.
    /// </summary>
    private static List<(BackendInfo Info, BackendOptions Options, BackendRegistration Registration)> Describe(
        BackendLane lane, IList<BackendOptions> configured, List<BackendRegistration> registrations, List<IBackendClientFactory> providers)
    {
        var result = new List<(BackendInfo, BackendOptions, BackendRegistration)>();
        foreach (var backend in configured)
        {
            // A client registered by code wins; otherwise the provider package creates it (validation made sure one exists).
            var registration = registrations.Find(r => r.Lane == lane && string.Equals(r.Name, backend.Name, StringComparison.OrdinalIgnoreCase))
                ?? new BackendRegistration(backend.Name, lane, services => providers.First(f => f.CanCreate(backend.Provider!)).Create(backend, lane, services));
            result.Add((new BackendInfo(backend.Name, lane, backend.Provider ?? "unknown", backend.Model, backend.ContextWindow), backend, registration));
        }

        foreach (var registration in registrations)
        {
            if (registration.Lane == lane && !configured.Any(b => string.Equals(b.Name, registration.Name, StringComparison.OrdinalIgnoreCase)))
            {
                result.Add((new BackendInfo(registration.Name, lane, "unknown", Model: null, ContextWindow: null), new BackendOptions { Name = registration.Name }, registration));
            }
        }

        return result;
    }

    private static IChatClient CreatePool(
        BackendLane lane,
        List<(BackendInfo Info, BackendOptions Options, BackendRegistration Registration)> backends,
        HybridInferenceOptions options,
        CostCalculator costs,
        ChainConfiguration chain,
        List<IBackendClientFactory> providers,
        IServiceProvider services)
    {
        var pool = new BackendPoolBuilder(lane, options) { Costs = costs, Resolver = services.GetService<IBackendAddressResolver>() };
        foreach (var (info, backend, registration) in backends)
        {
            if (backend.Discovery != BackendDiscovery.None)
            {
                // One client per member, from the provider package as for a plain backend (validation made sure one
                // exists and no code registration does), each with the backend's ConfigureBackend middleware.
                var provider = providers.First(f => f.CanCreate(backend.Provider!));
                pool.AddDiscoveredBackend(backend, member => Configure(info.Name, provider.Create(member, lane, services), chain, services));
                continue;
            }

            var client = registration.Factory(services)
                ?? throw new InvalidOperationException($"The client factory of backend '{info.Name}' returned null.");
            pool.AddBackend(backend, Configure(info.Name, client, chain, services));
        }

        return pool.Build(services);
    }

    /// <summary>Puts the <c>ConfigureBackend</c> middleware registered for <paramref name="name"/> around a backend's client.</summary>
    private static IChatClient Configure(string name, IChatClient client, ChainConfiguration chain, IServiceProvider services)
    {
        if (!chain.Backends.TryGetValue(name, out var configure))
        {
            return client;
        }

        var builder = new ChatClientBuilder(client);
        Apply(configure, builder);
        return builder.Build(services);
    }

    private static void ThrowIfUnknownBackends(ChainConfiguration chain, params List<(BackendInfo Info, BackendOptions Options, BackendRegistration Registration)>[] lanes)
    {
        foreach (var name in chain.Backends.Keys)
        {
            if (!lanes.Any(lane => lane.Any(b => string.Equals(b.Info.Name, name, StringComparison.OrdinalIgnoreCase))))
            {
                var known = string.Join(", ", lanes.SelectMany(lane => lane).Select(b => $"'{b.Info.Name}'"));
                throw new InvalidOperationException(
                    $"ConfigureBackend names backend '{name}', but no backend has that name (the backends are {(known.Length == 0 ? "none" : known)}).");
            }
        }
    }
}
