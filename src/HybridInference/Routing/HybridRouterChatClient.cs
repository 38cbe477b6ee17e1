using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using HybridInference.CircuitBreaker;
using HybridInference.Classification;
using HybridInference.Fallback;
using HybridInference.Internal;
using HybridInference.Telemetry;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Hedging;

namespace HybridInference.Routing;

/// <summary>
/// Chooses the lane for each classified request: asks the <see cref="IRoutingPolicy"/> for its preference, then
/// enforces the constraints no policy may override (local-only data stays local, offline mode stays local, an open
/// local breaker sends routable traffic to the cloud, an open cloud breaker sends cloud-preferred traffic that may
/// run locally to local).
/// </summary>
/// <remarks>
/// Built on <see cref="RoutingChatClient"/>: the local lane it selects is the schema-validating fallback over the
/// local backends, which also escalates local failures; the cloud lane is the cloud pool.
/// </remarks>
#pragma warning disable MEAI001 // RoutingChatClient is experimental; we follow it and say so in the README.
internal sealed class HybridRouterChatClient : RoutingChatClient
{
    private readonly IChatClient _localLane;
    private readonly IChatClient? _cloudLane;
    private readonly IRoutingPolicy _policy;
    private readonly TaskClassifier? _classifier;
    private readonly CircuitBreakerChatClient? _localCircuit;
    private readonly CircuitBreakerChatClient? _cloudCircuit;
    private readonly int? _largestLocalWindow;
    private readonly IJsonSchemaValidator? _validator;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline<ChatResponse>? _hedging;
    private readonly HedgingSettings? _hedgingSettings;
    private readonly SchemaValidatingFallbackChatClient? _jsonFallback;
    private volatile bool _disposed;

    /// <summary>Initializes a new instance of the <see cref="HybridRouterChatClient"/> class.</summary>
    /// <param name="localLane">The local lane: the schema-validating fallback over the local backends.</param>
    /// <param name="cloudLane">The cloud lane, or <see langword="null"/> for offline mode.</param>
    /// <param name="policy">The routing rules.</param>
    /// <param name="largestLocalWindow">The largest declared local context window, if any backend declares one.</param>
    /// <param name="classifier">Classifies requests that arrive without a profile (the router used on its own).</param>
    /// <param name="validator">Checks a request's JSON Schema before it goes anywhere, so that a bad one fails at once; <see langword="null"/> to skip.</param>
    /// <param name="logger">The logger for decisions.</param>
    /// <param name="hedging">The latency budget of routable local requests, or <see langword="null"/> for no hedging.</param>
    public HybridRouterChatClient(
        IChatClient localLane, IChatClient? cloudLane, IRoutingPolicy policy, int? largestLocalWindow, TaskClassifier? classifier, IJsonSchemaValidator? validator, ILogger logger,
        HedgingSettings? hedging = null)
    {
        ArgumentNullException.ThrowIfNull(localLane);
        ArgumentNullException.ThrowIfNull(policy);
        _localLane = localLane;
        _cloudLane = cloudLane;
        _policy = policy;
        _largestLocalWindow = largestLocalWindow;
        _classifier = classifier;
        _validator = validator;
        _logger = logger;
        if (hedging is { Delay: var delay } && cloudLane is not null)
        {
            _hedgingSettings = hedging;
            _hedging = new ResiliencePipelineBuilder<ChatResponse> { TimeProvider = hedging.TimeProvider }
                .AddHedging(new HedgingStrategyOptions<ChatResponse>
                {
                    Delay = delay,
                    MaxHedgedAttempts = 1,

                    // A failed attempt never ends the race while the other may still answer.
                    ShouldHandle = static args => new ValueTask<bool>(args.Outcome.Exception is not null),

                    // Only lateness starts the hedge: a local failure is the fallback's to escalate, and once the
                    // local lane has escalated or finished, the hedge stands down (the claim).
                    ActionGenerator = static args => args.PrimaryContext.Properties.GetValue(HedgeKey, null!) is { } hedge && hedge.TryStart()
                        ? () => hedge.RunCloudAsync(args.ActionContext.CancellationToken)
                        : null,
                })
                .Build();
        }

        _jsonFallback = localLane.GetService<SchemaValidatingFallbackChatClient>();
        _localCircuit = localLane.GetService<CircuitBreakerChatClient>();
        _cloudCircuit = cloudLane?.GetService<CircuitBreakerChatClient>() is { Lane: BackendLane.Cloud } cloudCircuit ? cloudCircuit : null;
    }

    /// <summary>Makes the routing decision for a profiled request.</summary>
    /// <exception cref="ContextWindowExceededException">The request must run locally and fits no local window.</exception>
    public RouteDecision Decide(TaskProfile profile)
    {
        var preferred = _policy.Decide(profile);
        var localTarget = profile.RequiresJson ? RouteTarget.LocalWithFallback : RouteTarget.Local;
        var mustStayLocal = profile.DataPolicy == DataPolicy.LocalOnly || _cloudLane is null;

        if (mustStayLocal)
        {
            if (_largestLocalWindow is { } window && profile.RequiredContextTokens > window)
            {
                throw new ContextWindowExceededException(profile.RequiredContextTokens, window);
            }

            return preferred.Target == RouteTarget.Cloud
                ? new RouteDecision(localTarget, profile.DataPolicy == DataPolicy.LocalOnly ? RouteReason.LocalOnly : RouteReason.NoCloudBackend)
                : preferred;
        }

        if (preferred is { Target: RouteTarget.Cloud, Reason: RouteReason.Category or RouteReason.Policy }
            && _cloudCircuit is { IsRejecting: true } && _localCircuit is not { IsRejecting: true })
        {
            // The cloud keeps failing and this request may run locally (its size did not send it away).
            return new RouteDecision(localTarget, RouteReason.CloudCircuitOpen);
        }

        if (preferred.Target != RouteTarget.Cloud && _localCircuit is { IsRejecting: true })
        {
            return new RouteDecision(RouteTarget.Cloud, RouteReason.CircuitOpen);
        }

        if (preferred.Target != RouteTarget.Cloud && _localCircuit is { } circuit && circuit.ShouldRampToCloud())
        {
            return new RouteDecision(RouteTarget.Cloud, RouteReason.CircuitRecovering);
        }

        return preferred;
    }

    /// <summary>
    /// Routes a request. When the options are already the request's private copy (the cost meter made it), the lane
    /// is called directly: copying them again, which is how the base class keeps the caller's instance safe, would
    /// only cost time on the hot path. Any other caller gets the base class's behaviour.
    /// </summary>
    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (options is not HybridChatOptions)
        {
            return base.GetResponseAsync(messages, options, cancellationToken);
        }

        IChatClient lane;
        try
        {
            lane = Select(messages, options);
        }
        catch (Exception ex)
        {
            return Task.FromException<ChatResponse>(ex);
        }

        return RouteAsync(lane, messages, options, cancellationToken);
    }

    /// <summary>Runs a request on the lane it was routed to: the cloud (checked, or locally when over budget), hedged, or the local lane.</summary>
    private Task<ChatResponse> RouteAsync(IChatClient lane, IEnumerable<ChatMessage> messages, ChatOptions options, CancellationToken cancellationToken)
    {
        if (ReferenceEquals(lane, _cloudLane))
        {
            return MayRunLocally(options) ? CloudOrLocalAsync(messages, options, cancellationToken) : CloudAsync(messages, options, cancellationToken);
        }

        return _hedging is not null && MayHedge(options)
            ? HedgedAsync(messages, options, cancellationToken)
            : lane.GetResponseAsync(messages, options, cancellationToken);
    }

    /// <summary>
    /// Runs a local request under its latency budget: past <c>HedgeDelay</c> the cloud starts too, on a request state
    /// of its own; the first answer wins, the other attempt is cancelled, and the hedge's accounts join the request's.
    /// A failed attempt does not end the race while the other may still answer; when both fail, the caller gets a typed
    /// failure (<see cref="HedgeFailure"/>). At most one cloud call is made: the local lane's escalation and the hedge
    /// share one claim.
    /// </summary>
    private async Task<ChatResponse> HedgedAsync(IEnumerable<ChatMessage> messages, ChatOptions options, CancellationToken cancellationToken)
    {
        var request = HybridRequest.Find(options)!;
        var hedge = new Hedge(this, messages, options, request);
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(HedgeKey, hedge);
        try
        {
            var outcome = await _hedging!.ExecuteOutcomeAsync(
                static async (context, state) =>
                {
                    try
                    {
                        return Outcome.FromResult(await state.LocalLane.GetResponseAsync(state.Messages, state.Options, context.CancellationToken).ConfigureAwait(false));
                    }
                    catch (Exception ex)
                    {
                        state.Hedge.LocalFailure = ex;
                        return Outcome.FromException<ChatResponse>(ex);
                    }
                    finally
                    {
                        // Finished, one way or the other: a hedge that has not started by now never will.
                        state.Hedge.Claim.TryClaimForLocal();
                    }
                },
                context,
                (LocalLane: _localLane, Messages: messages, Options: options, Hedge: hedge)).ConfigureAwait(false);

            // The hedging strategy has cancelled the loser and waited for it, so both accounts are complete.
            hedge.Finish(outcome.Result is { } result && ReferenceEquals(result, hedge.CloudResponse));
            if (outcome.Exception is { } failure)
            {
                ExceptionDispatchInfo.Throw(HedgeFailure(request, hedge.LocalFailure ?? failure, hedge.CloudFailure, cancellationToken));
            }

            return outcome.Result!;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>
    /// Streams a local request under its latency budget. A stream is won at its first token: past <c>HedgeDelay</c>
    /// without one, the cloud stream starts too; the first to produce a token is passed on and the other is cancelled.
    /// Polly's hedging strategy waits for a whole result, so the race of first tokens is run here, on the same clock.
    /// </summary>
    private async IAsyncEnumerable<ChatResponseUpdate> HedgedStreamAsync(
        IEnumerable<ChatMessage> messages, ChatOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var request = HybridRequest.Find(options)!;
        var hedge = new Hedge(this, messages, options, request);
        using var localCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var cloudCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var local = StartedStream.StartAsync(_localLane.GetStreamingResponseAsync(messages, options, localCancellation.Token), localCancellation.Token, untilContent: true);
        Task<(StartedStream? Stream, ExceptionDispatchInfo? Failure)>? cloud = null;
        StartedStream? winner = null;
        var cloudWon = false;
        try
        {
            using (var delayCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
            {
                var delay = Task.Delay(_hedgingSettings!.Delay, _hedgingSettings.TimeProvider, delayCancellation.Token);

                // A delay ended by a cancellation (the caller's, the deadline) starts nothing.
                if (await Task.WhenAny(local, delay).ConfigureAwait(false) != local && delay.IsCompletedSuccessfully && hedge.TryStart())
                {
                    cloud = StartedStream.StartAsync(hedge.StreamCloud(cloudCancellation.Token), cloudCancellation.Token, untilContent: true);
                }

                await delayCancellation.CancelAsync().ConfigureAwait(false);
            }

            ExceptionDispatchInfo? failure;
            ExceptionDispatchInfo? cloudFailure = null;
            if (cloud is null)
            {
                (winner, failure) = await local.ConfigureAwait(false);
            }
            else
            {
                var first = await Task.WhenAny(local, cloud).ConfigureAwait(false);
                (winner, failure) = await first.ConfigureAwait(false);
                cloudWon = first == cloud;
                if (winner is null)
                {
                    // The first to finish failed; the other may still answer. When both fail, see HedgeFailure.
                    var (other, otherFailure) = await (cloudWon ? local : cloud).ConfigureAwait(false);
                    if (other is not null)
                    {
                        (winner, failure, cloudWon) = (other, null, !cloudWon);
                    }
                    else
                    {
                        (failure, cloudFailure, cloudWon) = cloudWon ? (otherFailure, failure, false) : (failure, otherFailure, false);
                    }
                }

                await (cloudWon ? localCancellation : cloudCancellation).CancelAsync().ConfigureAwait(false);
            }

            if (failure is not null)
            {
                ExceptionDispatchInfo.Throw(HedgeFailure(request, failure.SourceException, cloudFailure?.SourceException, cancellationToken));
            }

            await foreach (var update in winner!.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return update;
            }
        }
        finally
        {
            if (cloud is not null)
            {
                // The loser was cancelled; wait for it to wind down, so its accounts are complete before they are merged.
                await localCancellation.CancelAsync().ConfigureAwait(false);
                await cloudCancellation.CancelAsync().ConfigureAwait(false);
                await DisposeLoserAsync(local, winner).ConfigureAwait(false);
                await DisposeLoserAsync(cloud, winner).ConfigureAwait(false);
            }

            hedge.Finish(cloudWon);
        }
    }

    /// <summary>
    /// What a hedged request reports when it got no answer: a cancellation when its token was cancelled (the caller's,
    /// or the deadline, which the cost meter turns into its <see cref="TimeoutException"/>); else the local lane's
    /// failure when it is one of ours, else the cloud's (the hedge is the local lane's escalation, whose failure a
    /// request that was not hedged would report); else a <see cref="BackendException"/> around the local failure, so
    /// that neither a raw exception of a backend nor a cancellation nobody asked for reaches the caller.
    /// </summary>
    private static Exception HedgeFailure(HybridRequest request, Exception local, Exception? cloud, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return local as OperationCanceledException ?? cloud as OperationCanceledException ?? new OperationCanceledException(null, local, cancellationToken);
        }

        if (local is HybridInferenceException)
        {
            return local;
        }

        if (cloud is HybridInferenceException)
        {
            return cloud;
        }

        var kind = local is TimeoutException or OperationCanceledException ? BackendErrorKind.Timeout : BackendErrorKind.Unknown;
        var also = cloud is null ? string.Empty : $" and the hedged cloud attempt failed too ({cloud.GetType().Name})";
        return new BackendException(
            kind,
            $"The hedged request got no answer: backend '{request.LastBackend?.Name ?? "unknown"}' failed ({local.GetType().Name}){also}.",
            innerException: local);
    }

    private static async Task DisposeLoserAsync(Task<(StartedStream? Stream, ExceptionDispatchInfo? Failure)> attempt, StartedStream? winner)
    {
        if ((await attempt.ConfigureAwait(false)).Stream is { } stream && stream != winner)
        {
            await stream.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Whether a routed-local request may be hedged: it may leave the machine, and a JSON one only when the cloud
    /// answer can be validated like an escalation's.
    /// </summary>
    private bool MayHedge(ChatOptions options) => HybridRequest.Find(options) switch
    {
        { Profile.DataPolicy: DataPolicy.LocalOnly } => false,
        _ when _cloudCircuit is { IsRejecting: true } => false,
        { Decision.Target: RouteTarget.Local } => true,
        { Decision.Target: RouteTarget.LocalWithFallback } => _jsonFallback is not null && options.ResponseFormat is ChatResponseFormatJson,
        _ => false,
    };

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (options is not HybridChatOptions)
        {
            await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
            {
                yield return update;
            }

            yield break;
        }

        var lane = Select(messages, options);
        if (options.ResponseFormat is ChatResponseFormatJson && _jsonFallback is not null)
        {
            // A JSON answer is checked whole before any of it is passed on, wherever it runs (hedged, local or
            // cloud), so its stream is the checked answer replayed.
            var answer = await RouteAsync(lane, messages, options, cancellationToken).ConfigureAwait(false);
            foreach (var update in answer.ToChatResponseUpdates())
            {
                yield return update;
            }

            yield break;
        }

        if (!ReferenceEquals(lane, _cloudLane) && _hedging is not null && MayHedge(options))
        {
            await foreach (var update in HedgedStreamAsync(messages, options, cancellationToken).ConfigureAwait(false))
            {
                yield return update;
            }

            yield break;
        }

        if (ReferenceEquals(lane, _cloudLane) && MayRunLocally(options))
        {
            var (stream, failure) = await StartedStream.StartAsync(lane.GetStreamingResponseAsync(messages, options, cancellationToken), cancellationToken).ConfigureAwait(false);
            if (stream is not null)
            {
                await foreach (var update in stream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
                {
                    yield return update;
                }

                yield break;
            }

            if (failure!.SourceException is not CloudRateLimitExceededException)
            {
                failure.Throw();
            }

            lane = RerouteLocally(options);
        }

        await foreach (var update in lane.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            yield return update;
        }
    }

    /// <summary>
    /// Runs a request on the cloud lane. A JSON answer is checked against the request's schema like an escalation's
    /// (extracted from prose or a fence, no retry): the caller asked for that schema wherever the answer comes from.
    /// </summary>
    private Task<ChatResponse> CloudAsync(IEnumerable<ChatMessage> messages, ChatOptions options, CancellationToken cancellationToken) =>
        options.ResponseFormat is ChatResponseFormatJson json && _jsonFallback is not null
            ? _jsonFallback.GetCheckedCloudAnswerAsync(json, messages, options, cancellationToken)
            : _cloudLane!.GetResponseAsync(messages, options, cancellationToken);

    /// <summary>Runs a cloud-routed request on the cloud lane, or locally when the cloud budget has no room for it.</summary>
    private async Task<ChatResponse> CloudOrLocalAsync(IEnumerable<ChatMessage> messages, ChatOptions options, CancellationToken cancellationToken)
    {
        try
        {
            return await CloudAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }
        catch (CloudRateLimitExceededException)
        {
            return await RerouteLocally(options).GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Whether a cloud-routed request could run locally: its category or a policy sent it to the cloud, not its size
    /// (it would not fit) or an open local breaker (local is failing).
    /// </summary>
    private static bool MayRunLocally(ChatOptions options) =>
        HybridRequest.Find(options)?.Decision is { Reason: RouteReason.Category or RouteReason.Policy };

    private IChatClient RerouteLocally(ChatOptions options)
    {
        var request = HybridRequest.Find(options)!;
        var target = request.Profile!.RequiresJson ? RouteTarget.LocalWithFallback : RouteTarget.Local;
        request.Decision = new RouteDecision(target, RouteReason.CloudRateLimited);
        request.Escalation = EscalationReason.None;
        Log.Routed(_logger, request.Profile.Category, request.Profile.EstimatedPromptTokens, target, RouteReason.CloudRateLimited);
        return _localLane;
    }

    protected override ValueTask<IChatClient> SelectClientAsync(RoutingContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        return new ValueTask<IChatClient>(Select(context.Messages, context.ChatOptions));
    }

    private IChatClient Select(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        if (options?.ResponseFormat is ChatResponseFormatJson { Schema: { } schema })
        {
            _validator?.PrepareSchema(schema);
        }

        var request = HybridRequest.Find(options);
        var profile = request?.Profile ?? (_classifier ?? throw new InvalidOperationException(
            "The request has no task profile: put the task classifier in front of the router, or give the router a classifier."))
            .Classify(messages, options);
        var decision = Decide(profile);
        if (request is not null)
        {
            request.Profile = profile;
            request.Decision = decision;
        }

        Log.Routed(_logger, profile.Category, profile.EstimatedPromptTokens, decision.Target, decision.Reason);
        if (decision.Target == RouteTarget.Cloud)
        {
            request?.Escalation = ToEscalation(decision.Reason);
            return _cloudLane!;
        }

        return _localLane;
    }

    private static EscalationReason ToEscalation(RouteReason reason) => reason switch
    {
        RouteReason.Category => EscalationReason.Category,
        RouteReason.ContextLimit => EscalationReason.ContextLimit,
        RouteReason.CircuitOpen or RouteReason.CircuitRecovering => EscalationReason.CircuitOpen,
        _ => EscalationReason.Policy,
    };

    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        if (serviceKey is null && serviceType.IsInstanceOfType(this))
        {
            return this;
        }

        return _localLane.GetService(serviceType, serviceKey) ?? _cloudLane?.GetService(serviceType, serviceKey);
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

    private static readonly ResiliencePropertyKey<Hedge> HedgeKey = new("HybridInference.Hedge");

    /// <summary>
    /// The cloud half of a hedged request, with a request state of its own so the two attempts never write to the
    /// same one, and the claim that lets only one of the local escalation and the hedge call the cloud.
    /// </summary>
    private sealed class Hedge
    {
        private readonly HybridRouterChatClient _router;
        private readonly IEnumerable<ChatMessage> _messages;
        private readonly ChatOptions _options;
        private readonly HybridRequest _primary;
        private readonly HybridRequest _cloud;

        public Hedge(HybridRouterChatClient router, IEnumerable<ChatMessage> messages, ChatOptions options, HybridRequest primary)
        {
            _router = router;
            _messages = messages;
            _options = options;
            _primary = primary;
            _cloud = new() { Profile = primary.Profile, Decision = primary.Decision, Escalation = EscalationReason.Hedge, RedactWith = primary.RedactWith, StartedAt = primary.StartedAt };
            primary.CloudClaim = Claim;
        }

        public CloudClaim Claim { get; } = new();

        public bool Started { get; private set; }

        public ChatResponse? CloudResponse { get; private set; }

        /// <summary>Gets or sets how the local half failed, if it did.</summary>
        public Exception? LocalFailure { get; set; }

        /// <summary>Gets how the cloud half failed, if it started and did.</summary>
        public Exception? CloudFailure { get; private set; }

        /// <summary>Claims the cloud for the hedge: <see langword="false"/> when the local lane has escalated or finished.</summary>
        public bool TryStart() => Started = Claim.TryClaimForHedge();

        public async ValueTask<Outcome<ChatResponse>> RunCloudAsync(CancellationToken cancellationToken)
        {
            var options = new HybridChatOptions(_options, _cloud);
            try
            {
                CloudResponse = options.ResponseFormat is ChatResponseFormatJson json
                    ? await _router._jsonFallback!.GetCheckedCloudAnswerAsync(json, _messages, options, cancellationToken).ConfigureAwait(false)
                    : await _router._cloudLane!.GetResponseAsync(_messages, options, cancellationToken).ConfigureAwait(false);
                return Outcome.FromResult(CloudResponse);
            }
            catch (Exception ex)
            {
                CloudFailure = ex;
                return Outcome.FromException<ChatResponse>(ex);
            }
        }

        public IAsyncEnumerable<ChatResponseUpdate> StreamCloud(CancellationToken cancellationToken) =>
            _router._cloudLane!.GetStreamingResponseAsync(_messages, new HybridChatOptions(_options, _cloud), cancellationToken);

        /// <summary>
        /// Ends the race: counts the hedge and adds the cloud attempt's accounts to the request's; when the cloud won,
        /// its answer is the request's. Does nothing when the hedge never started.
        /// </summary>
        public void Finish(bool cloudWon)
        {
            _primary.CloudClaim = null;
            if (!Started)
            {
                return;
            }

            _router._hedgingSettings!.Metrics.RecordHedge(cloudWon ? BackendLane.Cloud : BackendLane.Local);
            _primary.Attempts += _cloud.Attempts;
            _primary.InputTokens += _cloud.InputTokens;
            _primary.OutputTokens += _cloud.OutputTokens;
            _primary.CostUsd += _cloud.CostUsd;
            if (cloudWon)
            {
                Log.Escalating(_router._logger, EscalationReason.Hedge, "the local answer was later than Routing:HedgeDelay and the cloud answered first");
                _primary.Escalation = EscalationReason.Hedge;
                _primary.LastBackend = _cloud.LastBackend;
                _primary.LastModel = _cloud.LastModel;
                _primary.CloudBaselineCostUsd = _cloud.CloudBaselineCostUsd;
            }
        }
    }
}

/// <summary>What the router needs to hedge: the latency budget, the clock and the metrics.</summary>
/// <param name="Delay">How long a local answer may take before the cloud starts too.</param>
/// <param name="TimeProvider">The clock the delay runs on.</param>
/// <param name="Metrics">Where hedges are counted.</param>
internal sealed record HedgingSettings(TimeSpan Delay, TimeProvider TimeProvider, HybridInferenceMetrics Metrics);
#pragma warning restore MEAI001
