using HybridInference.CircuitBreaker;
using HybridInference.Classification;
using HybridInference.Internal;
using HybridInference.Pools;
using HybridInference.RateLimiting;
using HybridInference.Telemetry;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace HybridInference.Routing;

/// <summary>
/// Selects the lane of each classified request: the <see cref="IRoutingPolicy"/>'s preference, then the constraints no
/// policy may override (<see cref="RouteConstraints"/>), over the lanes' states (breakers, cloud budget) read at the
/// moment of the decision. It only selects: retries, escalation, hedging and validation happen inside the lanes.
/// </summary>
/// <remarks>Built on <see cref="RoutingChatClient"/>; the request is passed on with its options as they are (no copy on the hot path).</remarks>
#pragma warning disable MEAI001 // RoutingChatClient is experimental; we follow it and say so in the README.
internal sealed class HybridRouterChatClient : RoutingChatClient
{
    private readonly IChatClient _localLane;
    private readonly IChatClient? _cloudLane;
    private readonly IRoutingPolicy _policy;
    private readonly TaskClassifier? _classifier;
    private readonly LaneCircuit? _localCircuit;
    private readonly LaneCircuit? _cloudCircuit;
    private readonly CloudRateLimiter? _cloudBudget;
    private readonly LaneContextWindows? _localWindows;
    private readonly CloudDegradation? _degrading;
    private readonly bool[] _degrades;
    private readonly LocalModelCatalog? _models;
    private readonly string?[] _cloudModels;
    private readonly ILogger _logger;
    private volatile bool _disposed;

    /// <summary>Initializes a new instance of the <see cref="HybridRouterChatClient"/> class.</summary>
    /// <param name="localLane">The local lane.</param>
    /// <param name="cloudLane">The cloud lane, or <see langword="null"/> for offline mode.</param>
    /// <param name="policy">The routing rules.</param>
    /// <param name="localWindows">The local backends' context windows (configured or reported), or <see langword="null"/> when the local lane has no pool.</param>
    /// <param name="classifier">Classifies requests that arrive without a profile (the router used on its own).</param>
    /// <param name="logger">The logger for decisions.</param>
    /// <param name="onCloudUnavailable">Which categories run locally when the cloud cannot answer them.</param>
    /// <param name="metrics">Where degradations are counted.</param>
    /// <param name="deferrals">The outbox deferrable work waits in when the cloud cannot take it, or <see langword="null"/> for none.</param>
    public HybridRouterChatClient(
        IChatClient localLane, IChatClient? cloudLane, IRoutingPolicy policy, LaneContextWindows? localWindows, TaskClassifier? classifier, ILogger logger,
        CloudUnavailableOptions onCloudUnavailable, HybridInferenceMetrics metrics, Refinement.RefinementCoordinator? deferrals = null)
    {
        ArgumentNullException.ThrowIfNull(localLane);
        ArgumentNullException.ThrowIfNull(policy);
        _localLane = localLane;
        _cloudLane = cloudLane;
        _policy = policy;
        _localWindows = localWindows;
        _classifier = classifier;
        _logger = logger;

        // The lanes' state, read at each decision: exposed by their breakers and budget, never called into.
        _localCircuit = localLane.GetService<LaneCircuit>() is { Lane: BackendLane.Local } local ? local : null;
        _cloudCircuit = cloudLane?.GetService<LaneCircuit>() is { Lane: BackendLane.Cloud } cloud ? cloud : null;
        _cloudBudget = cloudLane?.GetService<CloudRateLimiter>();
        _degrades = onCloudUnavailable.DegradingCategories();
        _degrading = cloudLane is null ? null : new CloudDegradation(cloudLane, localLane, _degrades, _localCircuit, localWindows, metrics, logger, deferrals);

        // The models the lanes serve: the local pool's (chosen among by capability) and the cloud backends' names.
        _models = localLane.GetService<LocalModelCatalog>();
        _cloudModels = ModelRouting.CloudModels(cloudLane);
    }

    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ValueTask<IChatClient> selection;
        try
        {
            var state = RequestState.GetOrAttach(ref options);
            selection = SelectAsync(messages, options, state, cancellationToken);
        }
        catch (Exception ex)
        {
            return Task.FromException<ChatResponse>(ex);
        }

        // The hot path: decided at once, the lane is called directly (no extra async layer).
        return selection.IsCompletedSuccessfully
            ? selection.Result.GetResponseAsync(messages, options, cancellationToken)
            : AfterSelectionAsync(selection, messages, options, cancellationToken);
    }

    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);

        // Decided inside the enumeration, so that a refusal (a prompt too long for any local window) comes from the
        // stream like any other failure; the lane's updates then pass straight through.
        return new DeferredStream(async token =>
        {
            var state = RequestState.GetOrAttach(ref options);
            var lane = await SelectAsync(messages, options, state, token).ConfigureAwait(false);
            return lane.GetStreamingResponseAsync(messages, options, token).GetAsyncEnumerator(token);
        }, cancellationToken);
    }

    protected override ValueTask<IChatClient> SelectClientAsync(RoutingContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var options = context.ChatOptions;
        var state = RequestState.GetOrAttach(ref options);
        return SelectAsync(context.Messages, options, state, cancellationToken);
    }

    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType.IsInstanceOfType(this)
            ? this
            : _localLane.GetService(serviceType, serviceKey) ?? _cloudLane?.GetService(serviceType, serviceKey);
    }

    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        if (disposing)
        {
            _localLane.Dispose();
            _cloudLane?.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>
    /// Decides the request's lane. Synchronous unless a request that could also run locally finds the cloud budget
    /// full: then it waits up to the budget's queue time for room (taking none) before it decides.
    /// </summary>
    private ValueTask<IChatClient> SelectAsync(IEnumerable<ChatMessage> messages, ChatOptions options, RequestState state, CancellationToken cancellationToken)
    {
        var profile = state.Profile ??= (_classifier ?? throw new InvalidOperationException(
            "The request has no task profile: put the task classifier in front of the router, or give the router a classifier.")).Classify(messages, options);
        if (options.ModelId is { } requested && ModelRouting.Requested(requested, profile, _models, _cloudModels) is { } named)
        {
            // The caller's model decides the lane, and the local model.
            state.LocalModels = named.Models;
            return new ValueTask<IChatClient>(Commit(profile, named.Decision, state, options));
        }

        var preferred = _policy.Decide(profile);

        // A turn of a tool loop on the cloud lane waits for the budget like a cloud-preferring request; one on the local lane never does.
        var loop = state.ToolLoop?.Lane;
        var mayWait = loop is null ? preferred is { Target: RouteTarget.Cloud, Reason: RouteReason.Category or RouteReason.Policy } && Degrades(profile) : loop == BackendLane.Cloud;
        var waitForBudget = _cloudBudget is not null && mayWait && !_cloudBudget.HasRoomNow(profile.BudgetTokens);
        return waitForBudget
            ? DecideAfterBudgetAsync(profile, preferred, state, options, cancellationToken)
            : new ValueTask<IChatClient>(Commit(profile, preferred, LaneStates.Read(_cloudLane is not null, _localCircuit, _cloudCircuit, _localWindows, cloudHasRoom: true), state, options));
    }

    private async ValueTask<IChatClient> DecideAfterBudgetAsync(TaskProfile profile, RouteDecision preferred, RequestState state, ChatOptions options, CancellationToken cancellationToken)
    {
        var hasRoom = await _cloudBudget!.WaitForRoomAsync(profile.BudgetTokens, cancellationToken).ConfigureAwait(false);
        return Commit(profile, preferred, LaneStates.Read(_cloudLane is not null, _localCircuit, _cloudCircuit, _localWindows, hasRoom), state, options);
    }

    private IChatClient Commit(TaskProfile profile, RouteDecision preferred, in LaneStates lanes, RequestState state, ChatOptions options)
    {
        var decision = RouteConstraints.Decide(profile, preferred, lanes, state.Sequence, state.ToolLoop?.Lane, Degrades(profile));
        if (_models is { Active: true })
        {
            (decision, state.LocalModels, state.NoCapableLocalModel) = ModelRouting.Choose(profile, decision, lanes, _models);
        }

        return Commit(profile, decision, state, options);
    }

    private IChatClient Commit(TaskProfile profile, RouteDecision decision, RequestState state, ChatOptions options)
    {
        state.Decision = decision;
        Log.Routed(_logger, profile.Category, profile.EstimatedPromptTokens, decision.Target, decision.Reason);

        // Work that may run locally, or wait in the outbox, goes through the degradation, which answers it locally when
        // the cloud cannot (or defers it, or fails it with a typed error); work the cloud alone may do goes straight.
        return decision.Target != RouteTarget.Cloud ? _localLane
            : decision.Reason is RouteReason.Category or RouteReason.Policy or RouteReason.CircuitRecovering ? _degrading!
            : _degrading!.Defers(options, profile, state) ? _degrading : _cloudLane!;
    }

    /// <summary>Whether <c>Routing:OnCloudUnavailable</c> lets the request's category run locally when the cloud cannot take it.</summary>
    private bool Degrades(TaskProfile profile) => (uint)profile.Category < (uint)_degrades.Length && _degrades[(int)profile.Category];

    private static async Task<ChatResponse> AfterSelectionAsync(
        ValueTask<IChatClient> selection, IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        var lane = await selection.ConfigureAwait(false);
        return await lane.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
    }
}
#pragma warning restore MEAI001
