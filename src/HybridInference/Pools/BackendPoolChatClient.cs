using HybridInference.Internal;
using HybridInference.Telemetry;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace HybridInference.Pools;

/// <summary>
/// One lane's backends as a single client: orders them per request with the lane's load-balancing strategy
/// (<see cref="BackendSelector"/>), skips those whose context window the request does not fit, and fails over to the
/// next backend when one fails, is full or was ejected, before any output reached the caller.
/// </summary>
/// <remarks>
/// Streaming fails over only until the first update has been yielded; after that a failure reaches the caller.
/// A caller's cancellation is never failed over.
/// </remarks>
internal sealed class BackendPoolChatClient : IChatClient
{
    private readonly LoadBalancingStrategy _strategy;
    private readonly Random? _random;
    private readonly bool _byModel;
    private readonly ILogger _logger;

    /// <summary>The members now: an immutable snapshot read once per request and swapped whole when membership changes.</summary>
    private volatile PoolMembers _members;
    private ChatClientMetadata? _metadata;

    public BackendPoolChatClient(
        BackendLane lane, IReadOnlyList<BackendChatClient> backends, LoadBalancingStrategy strategy, ILogger logger,
        Random? random = null, BackendHealthMonitor? monitor = null, TimeSpan? timeToFirstToken = null, LaneContextWindows? windows = null,
        LocalModelCatalog? models = null)
    {
        if (backends.Count == 0)
        {
            throw new ArgumentException("A pool needs at least one backend.", nameof(backends));
        }

        Lane = lane;
        _strategy = strategy;
        _random = random;
        _byModel = models is not null;
        _logger = logger;
        Monitor = monitor;
        TimeToFirstToken = timeToFirstToken;
        Windows = windows ?? new LaneContextWindows([.. backends.Select(b => b.Info)], logger);
        _members = new PoolMembers([.. backends], strategy, random, models);
    }

    /// <summary>Gets the members' changes (a discovered backend's), when the pool has any; it is disposed with the pool.</summary>
    public PoolMembership? Membership { get; set; }

    /// <summary>
    /// Gets the lane's models formed from its backends (local lane only), which the router chooses among. When members
    /// come and go the catalog is formed again, with the same models in the same order (every configured backend keeps
    /// at least one member), so a <see cref="ModelChoice"/> the router read from an earlier one stays valid.
    /// </summary>
    public LocalModelCatalog? Models => _members.Models;

    /// <summary>Gets the backends' context windows (configured or reported by their servers), which the router reads.</summary>
    public LaneContextWindows Windows { get; }

    /// <summary>Gets how long a stream may take to produce its first token before the next backend is tried; null for no limit.</summary>
    public TimeSpan? TimeToFirstToken { get; }

    /// <summary>Gets the active health probes of the pool's backends, when any backend can be probed.</summary>
    public BackendHealthMonitor? Monitor { get; }

    public BackendLane Lane { get; }

    /// <summary>Gets the members now, in configuration order (a discovered backend's in address order, where it is configured).</summary>
    public IReadOnlyList<BackendChatClient> Backends => _members.Backends;

    /// <summary>
    /// Makes <paramref name="backends"/> the members: requests that start from now on see them; those under way finish
    /// on the members they chose. The caller keeps the windows, probes and metrics in step and disposes members it removed.
    /// </summary>
    /// <param name="backends">The new members, in configuration order; at least one.</param>
    public void SetMembers(IReadOnlyList<BackendChatClient> backends)
    {
        ArgumentOutOfRangeException.ThrowIfZero(backends.Count);
        var infos = new BackendInfo[backends.Count];
        for (var i = 0; i < infos.Length; i++)
        {
            infos[i] = backends[i].Info;
        }

        _members = new PoolMembers([.. backends], _strategy, _random, _byModel ? LocalModelCatalog.Create(infos) : null);
    }

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var request = RequestState.Find(options);
        var required = request?.Profile?.RequiredContextTokens ?? 0;
        var members = _members;

        // One backend that fits: nothing to fail over to, so no failover machinery (one async layer less per call).
        return members.Backends.Length == 1 && Fits(members.Backends[0], required)
            ? members.Backends[0].GetResponseAsync(messages, options, cancellationToken)
            : GetResponseWithFailoverAsync(members, messages, options, required, request?.ToolLoop, cancellationToken);
    }

    private async Task<ChatResponse> GetResponseWithFailoverAsync(
        PoolMembers members, IEnumerable<ChatMessage> messages, ChatOptions? options, int required, ToolLoops.ToolLoopLane? loop, CancellationToken cancellationToken)
    {
        var order = PreferLoop(members, ModelOrder(members, options, required), loop);
        for (var k = 0; k < order.Length; k++)
        {
            var backend = members.Backends[order[k]];
            try
            {
                return await backend.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (CanFailOver(ex, cancellationToken) && k + 1 < order.Length)
            {
                Log.FailingOver(_logger, backend.Info.Name, Log.Describe(ex), Lane);
            }
        }

        throw NoBackendFits(members, required);
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        new DeferredStream(token => StartStreamAsync(messages, options, token), cancellationToken);

    /// <summary>Starts the stream on the first backend that produces a token, failing over until one does.</summary>
    private async ValueTask<IAsyncEnumerator<ChatResponseUpdate>> StartStreamAsync(IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        var request = RequestState.Find(options);
        var required = request?.Profile?.RequiredContextTokens ?? 0;
        var members = _members;
        var order = PreferLoop(members, ModelOrder(members, options, required), request?.ToolLoop);
        for (var k = 0; k < order.Length; k++)
        {
            var backend = members.Backends[order[k]];

            // Until the first token the attempt also ends when the time-to-first-token limit passes: the backend
            // then fails with a timeout (and the time counts against its health), so the next one is tried.
            var (stream, failure) = await StartedStream.StartAsync(
                backend.GetStreamingResponseAsync(messages, options, TimeToFirstToken, cancellationToken), cancellationToken, untilContent: true).ConfigureAwait(false);
            if (stream is not null)
            {
                // Committed: from here on this backend's stream is the answer, failures included.
                return stream.Replay();
            }

            var error = failure!.SourceException;
            if (!CanFailOver(error, cancellationToken) || k + 1 >= order.Length)
            {
                failure.Throw();
            }

            Log.FailingOver(_logger, backend.Info.Name, Log.Describe(error), Lane);
        }

        throw NoBackendFits(members, required);
    }

    /// <summary>
    /// Orders the backends for one request: with a choice of models (the router's, <see cref="RequestState.LocalModels"/>)
    /// the backends of the best model first, balanced among themselves, then those of the next-best; else all as one pool.
    /// </summary>
    private static int[] ModelOrder(PoolMembers members, ChatOptions? options, int required)
    {
        if (members.ModelSelectors is null || RequestState.Find(options)?.LocalModels is not { } choice)
        {
            return members.Selector.Order(required);
        }

        var models = members.Models!.Models;
        var order = new List<int>(members.Backends.Length);
        for (var k = 0; k < choice.Tried; k++)
        {
            var model = choice.Order[k];
            foreach (var member in members.ModelSelectors[model].Order(required))
            {
                order.Add(models[model].Backends[member]);
            }
        }

        return [.. order];
    }

    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType.IsInstanceOfType(this) ? this
            : serviceType == typeof(ChatClientMetadata) ? _metadata ??= new ChatClientMetadata(Backends[0].Info.Provider, providerUri: null, Backends[0].Info.Model)
            : serviceType == typeof(LaneHealthSignal) ? Monitor?.Signal
            : serviceType == typeof(LocalModelCatalog) ? Models
            : null;
    }

    public void Dispose()
    {
        Monitor?.Dispose();
        Membership?.Dispose();
        foreach (var backend in _members.Backends)
        {
            backend.Dispose();
        }
    }

    /// <summary>
    /// Puts a tool loop's backend first in a request's order while it is ready (the loop keeps its model), else leaves
    /// the usual order (the loop then moves to the one that answers).
    /// </summary>
    private int[] PreferLoop(PoolMembers members, int[] order, ToolLoops.ToolLoopLane? loop)
    {
        if (loop is null || loop.Lane != Lane)
        {
            return order;
        }

        for (var k = 1; k < order.Length; k++)
        {
            var backend = members.Backends[order[k]];
            if (loop.RunsOn(backend.Info))
            {
                if (backend.State.IsReady(backend.Info.MaxConcurrentRequests))
                {
                    var preferred = order[k];
                    Array.Copy(order, 0, order, 1, k);
                    order[0] = preferred;
                }

                break;
            }
        }

        return order;
    }

    private static bool Fits(BackendChatClient backend, int requiredTokens) =>
        backend.Info.Window is not { } window || requiredTokens <= window;

    private static bool CanFailOver(Exception exception, CancellationToken cancellationToken) =>
        !(exception is OperationCanceledException && cancellationToken.IsCancellationRequested);

    private ContextWindowExceededException NoBackendFits(PoolMembers members, int requiredTokens)
    {
        var largest = 0;
        foreach (var backend in members.Backends)
        {
            largest = Math.Max(largest, backend.Info.Window ?? 0);
        }

        return new ContextWindowExceededException(
            $"The request needs about {requiredTokens} tokens (prompt plus requested output) but the largest {HybridInferenceTelemetry.ToTag(Lane)} context window is {largest} tokens.",
            requiredTokens,
            largest);
    }
}
