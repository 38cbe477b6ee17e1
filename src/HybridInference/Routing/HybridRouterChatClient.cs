using System.Runtime.CompilerServices;
using HybridInference.CircuitBreaker;
using HybridInference.Classification;
using HybridInference.Internal;
using HybridInference.Telemetry;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

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

    /// <summary>Initializes a new instance of the <see cref="HybridRouterChatClient"/> class.</summary>
    /// <param name="localLane">The local lane: the schema-validating fallback over the local backends.</param>
    /// <param name="cloudLane">The cloud lane, or <see langword="null"/> for offline mode.</param>
    /// <param name="policy">The routing rules.</param>
    /// <param name="largestLocalWindow">The largest declared local context window, if any backend declares one.</param>
    /// <param name="classifier">Classifies requests that arrive without a profile (the router used on its own).</param>
    /// <param name="validator">Checks a request's JSON Schema before it goes anywhere, so that a bad one fails at once; <see langword="null"/> to skip.</param>
    /// <param name="logger">The logger for decisions.</param>
    public HybridRouterChatClient(
        IChatClient localLane, IChatClient? cloudLane, IRoutingPolicy policy, int? largestLocalWindow, TaskClassifier? classifier, IJsonSchemaValidator? validator, ILogger logger)
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

        return ReferenceEquals(lane, _cloudLane) && MayRunLocally(options)
            ? CloudOrLocalAsync(messages, options, cancellationToken)
            : lane.GetResponseAsync(messages, options, cancellationToken);
    }

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
}
#pragma warning restore MEAI001
