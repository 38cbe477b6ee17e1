using HybridInference.Internal;
using HybridInference.Pools;
using HybridInference.Tokens;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;

namespace HybridInference.Classification;

/// <summary>
/// The limits a request is routed on, as the classifier reads them to decide whether the estimate is enough: the
/// configured <c>Routing:LocalContextLimit</c> (else the largest local window, else 4096, as
/// <see cref="DefaultRoutingPolicy"/> reads it), the largest local window (a local-only request's), and the output
/// reserved for an answer whose size the caller did not set (<c>Routing:DefaultOutputTokens</c>). Built once with the
/// chain; per request it reads a few fields and allocates nothing unless the estimate is near a limit.
/// </summary>
/// <remarks>
/// Near a limit (neither <see cref="TokenEstimateBand.SurelyFits"/> nor <see cref="TokenEstimateBand.SurelyExceeds"/>
/// for it), the prompt is counted by the exact counter of the local backend it would go to, when a local backend has
/// one: of those that have one, the one with the largest window, since a request near the largest window can only run
/// there, and one near a smaller limit fits it as well as any. A local backend with no tokenizer whose server counts
/// tokens (<see cref="IBackendTokenCounter"/>) is such a backend too; its count is I/O, so it is not taken here but
/// handed back (<see cref="ServerTokenCount"/>) for the classifier's asynchronous path to await.
/// </remarks>
internal sealed class PromptLimits
{
    private readonly int? _configuredLimit;
    private readonly LaneContextWindows? _windows;
    private readonly (BackendInfo Backend, ITokenCounter? Counter, ServerTokenCount? Server)[] _exactCounters;

    /// <summary>Initializes a new instance of the <see cref="PromptLimits"/> class.</summary>
    /// <param name="configuredLimit">The configured <c>Routing:LocalContextLimit</c>, if any.</param>
    /// <param name="windows">The local lane's windows (configured or reported), if the lane has a pool.</param>
    /// <param name="exactCounters">The local backends that have an exact counter, with it.</param>
    /// <param name="defaultOutputTokens">The output reserved when a request sets no <c>MaxOutputTokens</c>; 0 for none.</param>
    /// <param name="serverCounts">The local backends without an exact counter whose server counts tokens, with that count.</param>
    public PromptLimits(
        int? configuredLimit,
        LaneContextWindows? windows,
        IReadOnlyList<(BackendInfo Backend, ITokenCounter Counter)> exactCounters,
        int defaultOutputTokens,
        IReadOnlyList<(BackendInfo Backend, ServerTokenCount Server)>? serverCounts = null)
    {
        ArgumentNullException.ThrowIfNull(exactCounters);
        ArgumentOutOfRangeException.ThrowIfNegative(defaultOutputTokens);
        _configuredLimit = configuredLimit;
        _windows = windows;
        _exactCounters = [
            .. exactCounters.Select(c => (c.Backend, (ITokenCounter?)c.Counter, (ServerTokenCount?)null)),
            .. (serverCounts ?? []).Select(c => (c.Backend, (ITokenCounter?)null, (ServerTokenCount?)c.Server)),
        ];
        DefaultOutputTokens = defaultOutputTokens;
    }

    /// <summary>
    /// The limits of a chain: <c>Routing:LocalContextLimit</c>, the local windows, the local backends that have an
    /// exact counter (their tokenizer) or, failing one, a server that counts tokens (an <see cref="IBackendTokenCounter"/>
    /// their client offers, unless the backend's configured <c>ServerTokenCount</c> is off), and
    /// <c>Routing:DefaultOutputTokens</c>. The DI factory and a chain built by hand get them the same way.
    /// </summary>
    /// <param name="routing">The routing settings.</param>
    /// <param name="localPool">The local lane's pool, if the chain has one.</param>
    /// <param name="tokenCounters">The exact counters per backend, if any.</param>
    /// <param name="services">The chain's services: clock, logger, and the configured backends' <c>ServerTokenCount</c>.</param>
    /// <returns>The limits.</returns>
    public static PromptLimits For(RoutingOptions routing, BackendPoolChatClient? localPool, ITokenCounterProvider? tokenCounters, IServiceProvider services)
    {
        var counters = new List<(BackendInfo, ITokenCounter)>();
        var servers = new List<(BackendInfo, ServerTokenCount)>();
        if (localPool is not null)
        {
            var configured = (services.GetService(typeof(IOptions<HybridInferenceOptions>)) as IOptions<HybridInferenceOptions>)?.Value.Local.Backends;
            var logger = ChainServices.Logger<ServerTokenCount>(services);
            foreach (var backend in localPool.Backends)
            {
                if (tokenCounters is not null && tokenCounters.TryGetExactCounter(backend.Info.ConfiguredName, out var counter))
                {
                    counters.Add((backend.Info, counter));
                }
                else if (ServerCountAllowed(configured, backend.Info.ConfiguredName) && backend.GetService(typeof(IBackendTokenCounter)) is IBackendTokenCounter server)
                {
                    // A discovered backend's members come and go: its count asks whichever member it has at the time.
                    var count = backend.Info.Discovered ? new Pools.DiscoveredTokenCounter(localPool, backend.Info.ConfiguredName) : server;
                    servers.Add((backend.Info, new ServerTokenCount(backend.Info.ConfiguredName, count, ServerTokenCount.DefaultTimeout, ChainServices.Time(services), logger)));
                }
            }
        }

        return new PromptLimits(routing.LocalContextLimit, localPool?.Windows, counters, routing.DefaultOutputTokens, servers);
    }

    /// <summary>
    /// The tokenizer's exact counter of the local backend with the largest window, of those that have one (the counter
    /// <see cref="TryCountNearLimit"/> prefers); null when none has. History fitting counts its candidates with it.
    /// </summary>
    /// <param name="localPool">The local lane's pool, if the chain has one.</param>
    /// <param name="tokenCounters">The exact counters per backend, if any.</param>
    /// <returns>The counter, or null.</returns>
    public static ITokenCounter? TokenizerOfLargestWindow(BackendPoolChatClient? localPool, ITokenCounterProvider? tokenCounters)
    {
        ITokenCounter? best = null;
        var bestWindow = -1;
        foreach (var backend in localPool?.Backends ?? [])
        {
            if (tokenCounters is not null && tokenCounters.TryGetExactCounter(backend.Info.ConfiguredName, out var counter) && (backend.Info.Window ?? 0) > bestWindow)
            {
                (best, bestWindow) = (counter, backend.Info.Window ?? 0);
            }
        }

        return best;
    }

    /// <summary>Whether a local backend's configuration leaves its server's token count on (<c>ServerTokenCount</c>, on by default).</summary>
    private static bool ServerCountAllowed(IList<BackendOptions>? configured, string name)
    {
        foreach (var backend in configured ?? [])
        {
            if (string.Equals(backend.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return backend.ServerTokenCount;
            }
        }

        return true;
    }

    /// <summary>Gets the output reserved when a request sets no <c>MaxOutputTokens</c>.</summary>
    public int DefaultOutputTokens { get; }

    /// <summary>
    /// Counts the prompt exactly when its estimate is near a limit it is routed on and a local backend has an exact counter.
    /// </summary>
    /// <param name="estimate">The prompt's estimated tokens.</param>
    /// <param name="outputTokens">The output the request needs room for (its <c>MaxOutputTokens</c>, or the reserve).</param>
    /// <param name="messages">The request's messages.</param>
    /// <param name="options">The request's options.</param>
    /// <param name="exact">The exact count, when counted.</param>
    /// <param name="server">
    /// When the prompt is near a limit and the backend to count it is one whose server counts: that server's count, for
    /// the caller to await; null otherwise.
    /// </param>
    /// <returns>Whether the prompt was counted exactly here.</returns>
    public bool TryCountNearLimit(int estimate, int outputTokens, IEnumerable<ChatMessage> messages, ChatOptions? options, out int exact, out ServerTokenCount? server)
    {
        exact = 0;
        server = null;
        if (_exactCounters.Length == 0)
        {
            return false;
        }

        var window = _windows?.Largest;
        var limit = _configuredLimit ?? window ?? Defaults.LocalContextLimit;
        if (!IsNear(estimate, limit, outputTokens) && (window is not { } largest || !IsNear(estimate, largest, outputTokens)))
        {
            return false;
        }

        if (Largest() is not { } best)
        {
            return false;
        }

        if (best.Counter is { } counter)
        {
            exact = counter.CountPromptTokens(messages, options);
            return true;
        }

        server = best.Server;
        return false;
    }

    /// <summary>Whether the prompt's estimate leaves it unclear whether prompt and output fit in <paramref name="limit"/>.</summary>
    private static bool IsNear(int estimate, int limit, int outputTokens)
    {
        // The room left for the prompt; at most 0 when the output alone fills the limit (then the prompt surely exceeds it,
        // unless it is empty and the room is exactly 0, which the estimate decides as well).
        var room = (int)Math.Max((long)limit - outputTokens, int.MinValue / 4);
        return !TokenEstimateBand.SurelyFits(estimate, room) && !TokenEstimateBand.SurelyExceeds(estimate, room);
    }

    /// <summary>
    /// The exact source of the local backend with the largest window now (windows a server reports may change), leaving
    /// out servers whose tokenize endpoint turned out missing; null when none is left.
    /// </summary>
    private (ITokenCounter? Counter, ServerTokenCount? Server)? Largest()
    {
        (BackendInfo Backend, ITokenCounter? Counter, ServerTokenCount? Server)? best = null;
        foreach (var source in _exactCounters)
        {
            if (source.Server is { Enabled: false })
            {
                continue;
            }

            if (best is not { } current || (source.Backend.Window ?? 0) > (current.Backend.Window ?? 0))
            {
                best = source;
            }
        }

        return best is { } found ? (found.Counter, found.Server) : null;
    }
}
