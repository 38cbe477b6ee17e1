using HybridInference.Cost;
using HybridInference.Internal;
using HybridInference.Pools;
using Microsoft.Extensions.AI;

namespace HybridInference;

/// <summary>
/// Builds the pool at the end of a lane: one <see cref="IChatClient"/> over several backends, with health tracking,
/// load balancing and failover before the first streamed token. Each backend call is metered (tokens, cost,
/// duration), traced and written to the request's attempt log, from which the outcome is folded. Start a lane's
/// <c>ChatClientBuilder</c> with the pool this builds.
/// </summary>
/// <example>
/// <code>
/// IChatClient localPool = new BackendPoolBuilder(BackendLane.Local, options)
///     .AddBackend(new BackendOptions { Name = "vllm", Model = "mistral-7b", ContextWindow = 8192 }, vllmClient)
///     .Build(services);
/// </code>
/// </example>
public sealed class BackendPoolBuilder
{
    private readonly BackendLane _lane;
    private readonly HybridInferenceOptions _options;
    private readonly List<(BackendOptions Backend, IChatClient? Client, Func<BackendOptions, IChatClient>? Create)> _backends = [];

    /// <summary>Initializes a new instance of the <see cref="BackendPoolBuilder"/> class.</summary>
    /// <param name="lane">The lane the pool serves.</param>
    /// <param name="options">
    /// The settings the pool reads: the lane's (<see cref="HybridInferenceOptions.Local"/> or
    /// <see cref="HybridInferenceOptions.Cloud"/>: load balancing, ejection, health checks, time to first token), the
    /// price table and the local cost; the defaults when <see langword="null"/>. The all-cloud baseline is the cheapest
    /// priced model of <see cref="HybridInferenceOptions.Cloud"/>'s backends (and of this pool's, for the cloud lane).
    /// </param>
    public BackendPoolBuilder(BackendLane lane, HybridInferenceOptions? options = null)
    {
        _lane = lane;
        _options = options ?? new HybridInferenceOptions();
    }

    /// <summary>Gets or sets the calculator shared by both pools of a chain built from the services (it knows every cloud backend).</summary>
    internal CostCalculator? Costs { get; set; }

    /// <summary>Adds a backend, in the order failover tries them when the lane balances <see cref="LoadBalancingStrategy.Ordered"/>.</summary>
    /// <param name="backend">
    /// What the pool knows of it: <see cref="BackendOptions.Name"/> (required), and optionally model, context window,
    /// weight, concurrency limit and timeout. Model and provider default to what the client's <see cref="ChatClientMetadata"/> says.
    /// </param>
    /// <param name="client">The backend's client (with any middleware of its own around it).</param>
    /// <returns>This builder.</returns>
    /// <exception cref="ArgumentException">The backend has no name.</exception>
    public BackendPoolBuilder AddBackend(BackendOptions backend, IChatClient client)
    {
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(client);
        ArgumentException.ThrowIfNullOrWhiteSpace(backend.Name, nameof(backend));
        _backends.Add((backend, client, null));
        return this;
    }

    /// <summary>
    /// Adds a backend whose endpoint names several servers (<see cref="BackendOptions.Discovery"/>): the pool makes one
    /// member per address, each client created by <paramref name="createClient"/> from the member's settings.
    /// </summary>
    /// <param name="backend">The configured backend, with an endpoint whose host is a name.</param>
    /// <param name="createClient">Creates a member's client (the provider's factory, with any <c>ConfigureBackend</c> middleware around it).</param>
    /// <returns>This builder.</returns>
    internal BackendPoolBuilder AddDiscoveredBackend(BackendOptions backend, Func<BackendOptions, IChatClient> createClient)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(backend.Name, nameof(backend));
        ArgumentNullException.ThrowIfNull(backend.Endpoint);
        _backends.Add((backend, null, createClient));
        return this;
    }

    /// <summary>Gets or sets the lookup of discovered backends' names; the system's DNS servers when <see langword="null"/>.</summary>
    internal IBackendAddressResolver? Resolver { get; set; }

    /// <summary>Adds a backend known only by its name.</summary>
    /// <param name="name">The backend's name, as outcomes, metrics and status report it.</param>
    /// <param name="client">The backend's client.</param>
    /// <returns>This builder.</returns>
    public BackendPoolBuilder AddBackend(string name, IChatClient client) => AddBackend(new BackendOptions { Name = name }, client);

    /// <summary>Builds the pool; it owns the backends' clients and disposes them.</summary>
    /// <param name="services">The services the pool uses (time, logging, metrics); none when <see langword="null"/>.</param>
    /// <returns>The pool.</returns>
    /// <exception cref="InvalidOperationException">No backend was added.</exception>
    public IChatClient Build(IServiceProvider? services = null)
    {
        if (_backends.Count == 0)
        {
            throw new InvalidOperationException($"The {(_lane == BackendLane.Local ? "local" : "cloud")} pool has no backend: add one with AddBackend.");
        }

        services ??= EmptyServices.Instance;
        var time = ChainServices.Time(services);
        var metrics = ChainServices.Metrics(services);
        var logger = ChainServices.Logger<BackendPoolBuilder>(services);
        var laneOptions = _lane == BackendLane.Local ? (BackendLaneOptions)_options.Local : _options.Cloud;
        List<BackendInfo> fixedInfos = [];
        foreach (var (backend, client, _) in _backends)
        {
            if (client is not null)
            {
                fixedInfos.Add(Describe(backend, backend, client, discovered: false, laneOptions));
            }
        }

        var costs = Costs ?? new CostCalculator(_options, CloudBackends(fixedInfos), services.GetService(typeof(ITokenCounterProvider)) as ITokenCounterProvider);
        BackendChatClient Member(IChatClient client, BackendInfo info) =>
            new(client, info, new BackendState(time, laneOptions.FailuresBeforeEjection, laneOptions.EjectionDuration), costs, metrics, time);

        var slots = new List<(BackendChatClient? Fixed, DiscoveredBackend? Discovered)>(_backends.Count);
        var fixedIndex = 0;
        foreach (var (backend, client, create) in _backends)
        {
            if (client is not null)
            {
                slots.Add((Member(client, fixedInfos[fixedIndex++]), null));
                continue;
            }

            var configured = backend;
            slots.Add((null, new DiscoveredBackend(
                configured,
                member => create!(member) is { } memberClient
                    ? Member(memberClient, Describe(member, configured, memberClient, discovered: true, laneOptions))
                    : throw new InvalidOperationException($"The client factory of backend '{configured.Name}' returned null."),
                Resolver ?? DnsBackendAddressResolver.System,
                time,
                logger)));
        }

        var membership = new PoolMembership(slots, metrics);
        var clients = membership.Members();
        metrics.ObserveBackends(clients);
        List<BackendInfo> infos = [.. clients.Select(c => c.Info)];
        var windows = new LaneContextWindows(infos, logger);
        var monitor = BackendHealthMonitor.Start(clients, laneOptions.HealthCheckInterval, time, logger, windows);
        var models = _lane == BackendLane.Local ? LocalModelCatalog.Create(infos) : null;
        var pool = new BackendPoolChatClient(_lane, clients, laneOptions.LoadBalancing, logger, random: null, monitor, laneOptions.TimeToFirstToken, windows, models);
        if (membership.Discovered.Any())
        {
            membership.Start(pool);
        }

        return pool;
    }

    /// <summary>What the pool knows of a backend (or of a member of a discovered one): the settings, and what the client says of itself where they are silent.</summary>
    private BackendInfo Describe(BackendOptions backend, BackendOptions configured, IChatClient client, bool discovered, BackendLaneOptions laneOptions)
    {
        var metadata = client.GetService<ChatClientMetadata>();
        return new BackendInfo(backend.Name, _lane, backend.Provider ?? metadata?.ProviderName ?? "unknown", backend.Model ?? metadata?.DefaultModelId, backend.ContextWindow)
        {
            ConfiguredName = configured.Name,
            Discovered = discovered,
            Weight = backend.Weight,
            Capabilities = Fold(backend.Capabilities),
            Quantization = Quantizations.TryParse(backend.Quantization, out var quantization) || backend.Quantization is null
                ? quantization
                : throw new ArgumentException($"Backend '{backend.Name}' has a Quantization this version does not know; use one of {Quantizations.Known}.", nameof(backend)),
            MaxConcurrentRequests = backend.MaxConcurrentRequests,
            Timeout = backend.Timeout ?? Defaults.BackendTimeout(_lane),
            TimeoutKey = laneOptions.Backends.IndexOf(configured) is var index and >= 0
                ? $"HybridInference:{_lane}:Backends:{index}:Timeout (backend '{configured.Name}')"
                : BackendInfo.DefaultTimeoutKey(configured.Name, _lane),
        };
    }

    private static ModelCapabilities Fold(IList<ModelCapabilities> capabilities)
    {
        var all = ModelCapabilities.None;
        foreach (var capability in capabilities)
        {
            all |= capability;
        }

        return all;
    }

    /// <summary>The cloud backends the all-cloud baseline is priced from: those configured, and this pool's when it is the cloud's.</summary>
    private IEnumerable<BackendInfo> CloudBackends(List<BackendInfo> infos)
    {
        foreach (var backend in _options.Cloud.Backends)
        {
            yield return new BackendInfo(backend.Name, BackendLane.Cloud, backend.Provider ?? "unknown", backend.Model, backend.ContextWindow);
        }

        if (_lane == BackendLane.Cloud)
        {
            foreach (var info in infos)
            {
                yield return info;
            }
        }
    }

    private sealed class EmptyServices : IServiceProvider
    {
        public static readonly EmptyServices Instance = new();

        public object? GetService(Type serviceType) => null;
    }
}
