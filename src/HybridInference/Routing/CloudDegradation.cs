using System.Runtime.ExceptionServices;
using HybridInference.CircuitBreaker;
using HybridInference.Errors;
using HybridInference.Internal;
using HybridInference.Pools;
using HybridInference.Refinement;
using HybridInference.Telemetry;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace HybridInference.Routing;

/// <summary>
/// The cloud lane as the router calls it for a request that may run locally (sent to the cloud by its category, a
/// policy, or the local lane's recovery ramp) or that is deferrable: when the cloud fails it before any output in a way
/// that says it is away (<see cref="Failures.MeansCloudUnavailable"/>), a request that may run locally is answered by
/// the local lane at once, if <c>Routing:OnCloudUnavailable</c> lets its category degrade, the local breaker is closed
/// and it fits a local window (<see cref="RouteConstraints.WhyNotDegraded"/>), its history fitted to the largest one
/// first when it is too long and history fitting left its fitter on the request (<see cref="RequestState.LocalFitter"/>).
/// Otherwise a deferrable request waits in the outbox (<see cref="RouteReason.Deferred"/>: an empty response with the
/// handle of the cloud's later answer), and any other fails with <see cref="CloudUnavailableException"/> around the
/// cloud's failure (or, sent to the cloud for a reason that never degrades, with the failure itself). A stream moves
/// only before its first update reached the caller.
/// </summary>
/// <remarks>
/// Part of the router: it writes the request's new decision (<see cref="RouteReason.CloudUnavailable"/> or
/// <see cref="RouteReason.Deferred"/>), which the outcome reports and the local lane's fallback reads (a degraded request
/// is not escalated back to the cloud). A cloud answer that completes at once passes through as the very task it came
/// in; one that completes later costs one await. It owns neither lane (the router disposes them).
/// </remarks>
internal sealed class CloudDegradation : IChatClient
{
    private readonly IChatClient _cloudLane;
    private readonly IChatClient _localLane;
    private readonly bool[] _degrades;
    private readonly LaneCircuit? _localCircuit;
    private readonly LaneContextWindows? _localWindows;
    private readonly HybridInferenceMetrics _metrics;
    private readonly ILogger _logger;
    private readonly RefinementCoordinator? _deferrals;

    public CloudDegradation(
        IChatClient cloudLane, IChatClient localLane, bool[] degrades, LaneCircuit? localCircuit, LaneContextWindows? localWindows, HybridInferenceMetrics metrics, ILogger logger,
        RefinementCoordinator? deferrals)
    {
        _deferrals = deferrals;
        _cloudLane = cloudLane;
        _localLane = localLane;
        _degrades = degrades;
        _localCircuit = localCircuit;
        _localWindows = localWindows;
        _metrics = metrics;
        _logger = logger;
    }

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        Task<ChatResponse> answer;
        try
        {
            answer = _cloudLane.GetResponseAsync(messages, options, cancellationToken);
        }
        catch (Exception ex)
        {
            answer = Task.FromException<ChatResponse>(ex);
        }

        return answer.IsCompletedSuccessfully ? answer : AnswerOrDegradeAsync(answer, messages, options, cancellationToken);
    }

    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        new DeferredStream(async token =>
        {
            var (started, failure) = await StartedStream.StartAsync(_cloudLane.GetStreamingResponseAsync(messages, options, token), token).ConfigureAwait(false);
            if (started is not null)
            {
                return started.Replay();
            }

            // Nothing reached the caller yet: the request may still move, or wait in the outbox.
            var (local, deferred) = await DegradeAsync(failure!.SourceException, messages, options, token).ConfigureAwait(false);
            return deferred is not null
                ? CloudDeferral.Stream(deferred, token).GetAsyncEnumerator(token)
                : _localLane.GetStreamingResponseAsync(local!, options, token).GetAsyncEnumerator(token);
        }, cancellationToken);

    /// <summary>Whether the request is deferred to the outbox when the cloud cannot take it (so the router sends it through here).</summary>
    public bool Defers(ChatOptions? options, TaskProfile profile, RequestState state) => _deferrals?.IsDeferrable(options, profile, state) == true;

    public object? GetService(Type serviceType, object? serviceKey = null) => _cloudLane.GetService(serviceType, serviceKey);

    /// <summary>Does nothing: the router owns and disposes both lanes.</summary>
    public void Dispose()
    {
    }

    private async Task<ChatResponse> AnswerOrDegradeAsync(Task<ChatResponse> answer, IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        Exception failure;
        try
        {
            return await answer.ConfigureAwait(false);
        }
        catch (Exception ex) when (Failures.MeansCloudUnavailable(ex, cancellationToken))
        {
            failure = ex;
        }

        var (local, deferred) = await DegradeAsync(failure, messages, options, cancellationToken).ConfigureAwait(false);
        return deferred is not null
            ? CloudDeferral.Response(deferred)
            : await _localLane.GetResponseAsync(local!, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Moves the request to the local lane after the cloud's <paramref name="failure"/> (its history fitted to the
    /// largest local window when it needs it and can be), or to the outbox when it is deferrable and may not run
    /// locally, or throws: the failure itself when it does not say the cloud is away, or when the request went to the
    /// cloud for a reason that never degrades and is not deferrable; else <see cref="CloudUnavailableException"/>.
    /// </summary>
    /// <returns>The messages to send to the local lane, or the handle of the deferred work.</returns>
    private async Task<(IEnumerable<ChatMessage>? Local, RefinementHandle? Deferred)> DegradeAsync(
        Exception failure, IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        var state = RequestState.Find(options);
        if (!Failures.MeansCloudUnavailable(failure, cancellationToken) || state?.Profile is not { } profile)
        {
            ExceptionDispatchInfo.Throw(failure);
            return default;
        }

        var deferrable = Defers(options, profile, state);
        string why;
        if (state.Decision?.Reason is RouteReason.Category or RouteReason.Policy or RouteReason.CircuitRecovering)
        {
            var category = (int)profile.Category;
            var degrades = category >= 0 && category < _degrades.Length && _degrades[category];
            var localRejecting = _localCircuit is { IsRejecting: true };
            var window = _localWindows?.Largest;
            if (degrades && !localRejecting && window is { } largest && profile.RequiredContextTokens > largest && state.LocalFitter is { } fitter)
            {
                // Too long for every local window as it is: fitted to the largest, as history fitting fits local work.
                messages = await fitter.FitRequestAsync(messages, options!, state, profile, largest, _metrics, cancellationToken).ConfigureAwait(false);
            }

            var whyNot = RouteConstraints.WhyNotDegraded(state.Profile!, degrades, localRejecting, window, state.LocalFitter is not null);
            if (whyNot is null)
            {
                state.Decision = new RouteDecision(RouteTarget.Local, RouteReason.CloudUnavailable);
                _metrics.RecordDegradation(profile.Category, Failures.DegradationReason(failure));
                Log.DegradingToLocal(_logger, profile.Category, Log.Describe(failure));
                return (messages, null);
            }

            why = whyNot;
        }
        else if (!deferrable)
        {
            ExceptionDispatchInfo.Throw(failure); // Cloud work by its size or its model: as before degradation existed.
            return default;
        }
        else
        {
            why = $"it was sent to the cloud for its {state.Decision?.Reason}";
        }

        if (deferrable && _deferrals!.Defer(messages, options!, state.Profile!) is { } handle)
        {
            state.Decision = new RouteDecision(RouteTarget.Cloud, RouteReason.Deferred);
            Log.Deferred(_logger, profile.Category, Log.Describe(failure), handle.RequestId);
            return (null, handle);
        }

        var notDeferred = deferrable ? "; it could not be deferred either: the outbox is full or could not be written (Refinement:Outbox)" : string.Empty;
        Log.CloudUnavailable(_logger, profile.Category, Log.Describe(failure), why + notDeferred);
        throw new CloudUnavailableException(
            $"The cloud could not answer this {profile.Category} request ({Log.Describe(failure)}), and it was not answered locally: {why}{notDeferred}.", failure);
    }
}
