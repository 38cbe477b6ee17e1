using HybridInference.CircuitBreaker;
using HybridInference.Errors;
using HybridInference.Internal;
using HybridInference.Pools;
using HybridInference.Telemetry;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;

namespace HybridInference.Routing;

/// <summary>
/// The cloud lane as the router calls it for a request that may run locally (sent to the cloud by its category, a
/// policy, or the local lane's recovery ramp): when the cloud fails it before any output in a way that says it is
/// away (<see cref="Failures.MeansCloudUnavailable"/>), the request is answered by the local lane at once, if
/// <c>Routing:OnCloudUnavailable</c> lets its category degrade, the local breaker is closed and it fits a local
/// window (<see cref="RouteConstraints.WhyNotDegraded"/>); otherwise it fails with <see cref="CloudUnavailableException"/>
/// around the cloud's failure. A stream degrades only before its first update reached the caller.
/// </summary>
/// <remarks>
/// Part of the router: it writes the request's new decision (<see cref="RouteReason.CloudUnavailable"/>), which the
/// outcome reports and the local lane's fallback reads (a degraded request is not escalated back to the cloud). A cloud
/// answer that completes at once passes through as the very task it came in; one that completes later costs one await.
/// It owns neither lane (the router disposes them).
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

    public CloudDegradation(
        IChatClient cloudLane, IChatClient localLane, bool[] degrades, LaneCircuit? localCircuit, LaneContextWindows? localWindows, HybridInferenceMetrics metrics, ILogger logger)
    {
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

            // Nothing reached the caller yet: the request may still move.
            Degrade(failure!.SourceException, options, token);
            return _localLane.GetStreamingResponseAsync(messages, options, token).GetAsyncEnumerator(token);
        }, cancellationToken);

    public object? GetService(Type serviceType, object? serviceKey = null) => _cloudLane.GetService(serviceType, serviceKey);

    /// <summary>Does nothing: the router owns and disposes both lanes.</summary>
    public void Dispose()
    {
    }

    private async Task<ChatResponse> AnswerOrDegradeAsync(Task<ChatResponse> answer, IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        try
        {
            return await answer.ConfigureAwait(false);
        }
        catch (Exception ex) when (Failures.MeansCloudUnavailable(ex, cancellationToken))
        {
            Degrade(ex, options, cancellationToken);
        }

        return await _localLane.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Moves the request to the local lane after the cloud's <paramref name="failure"/>, or throws: the failure itself
    /// when it does not say the cloud is away, else <see cref="CloudUnavailableException"/> when the request may not
    /// run locally.
    /// </summary>
    private void Degrade(Exception failure, ChatOptions? options, CancellationToken cancellationToken)
    {
        var state = RequestState.Find(options);
        if (!Failures.MeansCloudUnavailable(failure, cancellationToken) || state?.Profile is not { } profile)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
            return;
        }

        var category = (int)profile.Category;
        var degrades = category >= 0 && category < _degrades.Length && _degrades[category];
        var why = RouteConstraints.WhyNotDegraded(profile, degrades, _localCircuit is { IsRejecting: true }, _localWindows?.Largest);
        if (why is not null)
        {
            Log.CloudUnavailable(_logger, profile.Category, Log.Describe(failure), why);
            throw new CloudUnavailableException(
                $"The cloud could not answer this {profile.Category} request ({Log.Describe(failure)}), and it was not answered locally: {why}.", failure);
        }

        state.Decision = new RouteDecision(RouteTarget.Local, RouteReason.CloudUnavailable);
        _metrics.RecordDegradation(profile.Category, Failures.DegradationReason(failure));
        Log.DegradingToLocal(_logger, profile.Category, Log.Describe(failure));
    }
}
