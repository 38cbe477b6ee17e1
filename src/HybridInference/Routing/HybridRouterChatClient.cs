using System.Runtime.CompilerServices;
using HybridInference.CircuitBreaker;
using HybridInference.Classification;
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
/// local breaker sends routable traffic to the cloud).
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
    private readonly int? _largestLocalWindow;
    private readonly IJsonSchemaValidator? _validator;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline<ChatResponse>? _hedging;
    private readonly HybridInferenceMetrics? _metrics;

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
            _metrics = hedging.Metrics;
            _hedging = new ResiliencePipelineBuilder<ChatResponse> { TimeProvider = hedging.TimeProvider }
                .AddHedging(new HedgingStrategyOptions<ChatResponse>
                {
                    Delay = delay,
                    MaxHedgedAttempts = 1,

                    // Only lateness starts the hedge: a local failure is the fallback's to escalate, once.
                    ShouldHandle = static _ => PredicateResult.False(),
                    ActionGenerator = static args => args.PrimaryContext.Properties.GetValue(HedgeKey, null!) is { } hedge
                        ? () => hedge.RunCloudAsync(args.ActionContext.CancellationToken)
                        : null,
                })
                .Build();
        }
        _localCircuit = localLane.GetService<CircuitBreakerChatClient>();
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

        if (ReferenceEquals(lane, _cloudLane))
        {
            return MayRunLocally(options) ? CloudOrLocalAsync(messages, options, cancellationToken) : lane.GetResponseAsync(messages, options, cancellationToken);
        }

        return _hedging is not null && MayHedge(options)
            ? HedgedAsync(messages, options, cancellationToken)
            : lane.GetResponseAsync(messages, options, cancellationToken);
    }

    /// <summary>
    /// Runs a local request under its latency budget: past <c>HedgeDelay</c> the cloud starts too, on a request state
    /// of its own; the first answer wins, the other attempt is cancelled, and the winner's accounts join the request's.
    /// </summary>
    private async Task<ChatResponse> HedgedAsync(IEnumerable<ChatMessage> messages, ChatOptions options, CancellationToken cancellationToken)
    {
        var request = HybridRequest.Find(options)!;
        var hedge = new Hedge(_cloudLane!, messages, options, request);
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
                        return Outcome.FromException<ChatResponse>(ex);
                    }
                },
                context,
                (LocalLane: _localLane, Messages: messages, Options: options)).ConfigureAwait(false);

            if (hedge.Started)
            {
                var cloudWon = outcome.Result is { } result && ReferenceEquals(result, hedge.CloudResponse);
                hedge.MergeInto(request, cloudWon);
                _metrics?.RecordHedge(cloudWon ? BackendLane.Cloud : BackendLane.Local);
            }

            outcome.ThrowIfException();
            return outcome.Result!;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>Whether a routed-local request may be hedged: plain text (not JSON, which the local lane validates), and allowed to leave the machine.</summary>
    private static bool MayHedge(ChatOptions options) =>
        HybridRequest.Find(options) is { Decision.Target: RouteTarget.Local, Profile.DataPolicy: not DataPolicy.LocalOnly };

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (options is not HybridChatOptions)
        {
            await foreach (var update in base.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
            {
                yield return update;
            }

            yield break;
        }

        var lane = Select(messages, options);
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

    /// <summary>Runs a cloud-routed request on the cloud lane, or locally when the cloud budget has no room for it.</summary>
    private async Task<ChatResponse> CloudOrLocalAsync(IEnumerable<ChatMessage> messages, ChatOptions options, CancellationToken cancellationToken)
    {
        try
        {
            return await _cloudLane!.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
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
        if (disposing)
        {
            _localLane.Dispose();
            _cloudLane?.Dispose();
        }

        base.Dispose(disposing);
    }

    private static readonly ResiliencePropertyKey<Hedge> HedgeKey = new("HybridInference.Hedge");

    /// <summary>The cloud half of a hedged request, with a request state of its own so the two attempts never write to the same one.</summary>
    private sealed class Hedge(IChatClient cloudLane, IEnumerable<ChatMessage> messages, ChatOptions options, HybridRequest primary)
    {
        private readonly HybridRequest _cloud = new() { Profile = primary.Profile, Decision = primary.Decision, Escalation = EscalationReason.Hedge };

        public bool Started { get; private set; }

        public ChatResponse? CloudResponse { get; private set; }

        public async ValueTask<Outcome<ChatResponse>> RunCloudAsync(CancellationToken cancellationToken)
        {
            Started = true;
            try
            {
                CloudResponse = await cloudLane.GetResponseAsync(messages, new HybridChatOptions(options, _cloud), cancellationToken).ConfigureAwait(false);
                return Outcome.FromResult(CloudResponse);
            }
            catch (Exception ex)
            {
                return Outcome.FromException<ChatResponse>(ex);
            }
        }

        /// <summary>Adds the cloud attempt's accounts to the request's; when the cloud won, its answer is the request's.</summary>
        public void MergeInto(HybridRequest request, bool cloudWon)
        {
            request.Attempts += _cloud.Attempts;
            request.InputTokens += _cloud.InputTokens;
            request.OutputTokens += _cloud.OutputTokens;
            request.CostUsd += _cloud.CostUsd;
            if (cloudWon)
            {
                request.Escalation = EscalationReason.Hedge;
                request.LastBackend = _cloud.LastBackend;
                request.LastModel = _cloud.LastModel;
                request.CloudBaselineCostUsd = _cloud.CloudBaselineCostUsd;
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
