using HybridInference.Internal;
using HybridInference.Pools;
using HybridInference.Telemetry;
using Microsoft.Extensions.AI;

namespace HybridInference.History;

/// <summary>
/// Fits the history, then lets the router decide: between the classifier and the router, a request that would go to the
/// cloud for its size alone (the policy says <see cref="RouteReason.ContextLimit"/>), or a local-only one too long for
/// every local window, is reduced to the local window with room for its answer (<see cref="HistoryFitter"/>). The
/// reduced conversation goes on, with its profile's prompt size the reduced one's; the outcome and the metrics say
/// what was done. Every other request passes straight through.
/// </summary>
/// <remarks>
/// Per ordinary request it reads the profile and compares two numbers: no allocation, no lock, no lookup. A request
/// reduced here is routed by the same rules as any other; if it still does not fit, it is routed as it came (to the
/// cloud, or refused with <see cref="ContextWindowExceededException"/> when it must stay local).
/// </remarks>
internal sealed class HistoryFittingChatClient : DelegatingChatClient
{
    private readonly HistoryFitter _fitter;
    private readonly IRoutingPolicy _policy;
    private readonly int? _configuredLimit;
    private readonly LaneContextWindows? _windows;
    private readonly HybridInferenceMetrics _metrics;

    /// <summary>Initializes a new instance of the <see cref="HistoryFittingChatClient"/> class.</summary>
    /// <param name="innerClient">The router.</param>
    /// <param name="fitter">Reduces a conversation to a window.</param>
    /// <param name="policy">The routing rules the router decides by: a request they send to the cloud for its size is fitted.</param>
    /// <param name="configuredLimit">The configured <c>Routing:LocalContextLimit</c>, if any.</param>
    /// <param name="windows">The local lane's windows, if the chain has a local pool.</param>
    /// <param name="metrics">Where reductions are counted.</param>
    public HistoryFittingChatClient(
        IChatClient innerClient, HistoryFitter fitter, IRoutingPolicy policy, int? configuredLimit, LaneContextWindows? windows, HybridInferenceMetrics metrics)
        : base(innerClient)
    {
        ArgumentNullException.ThrowIfNull(fitter);
        ArgumentNullException.ThrowIfNull(policy);
        _fitter = fitter;
        _policy = policy;
        _configuredLimit = configuredLimit;
        _windows = windows;
        _metrics = metrics;
    }

    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        return RequestState.Find(options) is { Profile: { } profile } state && NeedsFitting(state, profile, out var window)
            ? FitThenSendAsync(messages, options!, state, profile, window, cancellationToken)
            : base.GetResponseAsync(messages, options, cancellationToken);
    }

    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (RequestState.Find(options) is not { Profile: { } profile } state || !NeedsFitting(state, profile, out var window))
        {
            return base.GetStreamingResponseAsync(messages, options, cancellationToken);
        }

        return new DeferredStream(async token =>
        {
            var fitted = await FitAsync(messages, options!, state, profile, window, token).ConfigureAwait(false);
            return base.GetStreamingResponseAsync(fitted, options, token).GetAsyncEnumerator(token);
        }, cancellationToken);
    }

    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType == typeof(SummaryCache) ? _fitter.Cache : base.GetService(serviceType, serviceKey);
    }

    /// <summary>
    /// Whether the request is to be fitted, and to what: a local-only one too long for the largest local window, to that
    /// window; one the policy sends to the cloud for its size, to the limit the router applies. One too long for every
    /// local window that the policy sends to the cloud for another reason (its category) is not fitted here, but gets
    /// the fitter on its state (<see cref="RequestState.LocalFitter"/>): if the cloud fails it, the router fits it then.
    /// </summary>
    private bool NeedsFitting(RequestState state, TaskProfile profile, out int window)
    {
        var required = profile.RequiredContextTokens;
        var largest = _windows?.Largest;
        var limit = _configuredLimit ?? largest ?? Defaults.LocalContextLimit;
        window = 0;
        if (required <= limit && (largest is null || required <= largest))
        {
            return false; // The ordinary request: it fits.
        }

        if (profile.DataPolicy == DataPolicy.LocalOnly)
        {
            window = largest ?? 0;
            return largest is { } known && required > known;
        }

        if (_policy.Decide(profile) is not { Target: RouteTarget.Cloud, Reason: RouteReason.ContextLimit })
        {
            if (largest is { } known && required > known)
            {
                state.LocalFitter = _fitter;
            }

            return false;
        }

        window = _policy is DefaultRoutingPolicy standard ? standard.LocalContextLimit : Math.Min(limit, largest ?? limit);
        return true;
    }

    private async Task<ChatResponse> FitThenSendAsync(
        IEnumerable<ChatMessage> messages, ChatOptions options, RequestState state, TaskProfile profile, int window, CancellationToken cancellationToken)
    {
        var fitted = await FitAsync(messages, options, state, profile, window, cancellationToken).ConfigureAwait(false);
        return await base.GetResponseAsync(fitted, options, cancellationToken).ConfigureAwait(false);
    }

    private Task<IEnumerable<ChatMessage>> FitAsync(
        IEnumerable<ChatMessage> messages, ChatOptions options, RequestState state, TaskProfile profile, int window, CancellationToken cancellationToken) =>
        _fitter.FitRequestAsync(messages, options, state, profile, window, _metrics, cancellationToken);
}
