using System.Diagnostics;
using HybridInference.Internal;
using HybridInference.Telemetry;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace HybridInference.Cost;

/// <summary>
/// The outermost part of the chain: starts the request's state, measures the whole request (every attempt, retry
/// and escalation), records the task metrics, and attaches the <see cref="RouteOutcome"/> to the response.
/// </summary>
/// <remarks>
/// The caller's <see cref="ChatOptions"/> are never changed: the request state travels on a copy. A stream gets one
/// extra, content-free update at its end that carries the outcome.
/// </remarks>
internal sealed partial class CostMeterChatClient : DelegatingChatClient
{
    private readonly HybridInferenceMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan? _requestTimeout;
    private readonly IRouteOutcomeListener[] _listeners;
    private readonly ILogger _logger;
    private readonly bool _captureContent;
    private readonly ChatClientMetadata _metadata;
    private readonly WallClock _wallClock;
    private long _sequence;
    private volatile bool _disposed;

    public CostMeterChatClient(
        IChatClient innerClient, HybridInferenceMetrics metrics, TimeProvider timeProvider, TimeSpan? requestTimeout = null,
        IEnumerable<IRouteOutcomeListener>? listeners = null, ILogger? logger = null, bool captureContent = false)
        : base(innerClient)
    {
        _captureContent = captureContent;
        ArgumentNullException.ThrowIfNull(metrics);
        ArgumentNullException.ThrowIfNull(timeProvider);
        _metrics = metrics;
        _timeProvider = timeProvider;
        _wallClock = new WallClock(timeProvider);
        _requestTimeout = requestTimeout;
        _listeners = listeners?.ToArray() ?? [];
        _logger = logger ?? NullLogger.Instance;
        _metadata = new ChatClientMetadata(HybridInferenceTelemetry.ProviderName, providerUri: null, innerClient.GetService<ChatClientMetadata>()?.DefaultModelId);
    }

    /// <remarks>
    /// An answer the chain below returns synchronously (a backend in the same process, a cache) is passed on as the very
    /// task it came in, with no async layer of its own; otherwise the answer is awaited.
    /// </remarks>
    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        RequestGuard.ThrowIfInvalid(messages, options);
        var started = _timeProvider.GetTimestamp();
        var request = Begin(ref options, started);
        var activity = StartActivity(messages, options);

        // The overall deadline reaches every layer as a cancellation, so no layer retries, fails over or escalates past it.
        var deadline = _requestTimeout is { } timeout ? new CancellationTokenSource(timeout, _timeProvider) : null;
        var linked = deadline is null ? null : CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        var call = new Call(request, started, activity, deadline, linked, cancellationToken);
        Task<ChatResponse> answer;
        try
        {
            answer = base.GetResponseAsync(messages, options, linked?.Token ?? cancellationToken);
        }
        catch (Exception ex)
        {
            answer = Task.FromException<ChatResponse>(ex);
        }

        if (!answer.IsCompletedSuccessfully)
        {
            return AwaitAsync(answer, call);
        }

        RouteOutcome? outcome = null;
        try
        {
            outcome = Answered(answer.Result, call);
            return answer;
        }
        finally
        {
            End(call, outcome);
        }
    }

    private async Task<ChatResponse> AwaitAsync(Task<ChatResponse> answer, Call call)
    {
        RouteOutcome? outcome = null;
        try
        {
            var response = await answer.ConfigureAwait(false);
            outcome = Answered(response, call);
            return response;
        }
        catch (Exception ex) when (call.Deadline is { IsCancellationRequested: true } && !call.CallerCancellation.IsCancellationRequested)
        {
            // Whatever a layer makes of the deadline's cancellation (a backend's timeout, a refused escalation, a hedge's
            // failure), a request whose deadline passed ends in the TimeoutException.
            var timedOut = new TimeoutException(
                $"The request did not finish within HybridInference:Routing:RequestTimeout ({_requestTimeout}); every attempt was cancelled.", ex);
            throw WithOutcome(timedOut, call.Request, call.Started, call.Activity, committed: false, out outcome);
        }
        catch (Exception ex)
        {
            WithOutcome(ex, call.Request, call.Started, call.Activity, committed: false, out outcome);
            throw;
        }
        finally
        {
            End(call, outcome);
        }
    }

    /// <remarks>
    /// The commit point is the first update passed on: a failure before it has already been failed over or escalated
    /// below and passes through as it is; a failure after it becomes a <see cref="StreamInterruptedException"/>, since
    /// the caller holds part of an answer. Either way the exception carries the outcome. The stream ends with one
    /// extra, content-free update that carries the outcome.
    /// </remarks>
    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        new MeteredStream(this, messages, options, cancellationToken);

    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType == typeof(ChatClientMetadata) ? _metadata : base.GetService(serviceType, serviceKey);
    }

    protected override void Dispose(bool disposing)
    {
        // Marked first, so a call that starts while the chain is being taken down is refused rather than half served.
        _disposed = true;
        base.Dispose(disposing);
    }

    private RequestState Begin(ref ChatOptions? options, long started)
    {
        // A fresh state per call, on a copy of the caller's options (which are never changed).
        var request = new RequestState { StartedAt = _wallClock.UtcAt(started), Sequence = Interlocked.Increment(ref _sequence) };
        options = new HybridChatOptions(options, request);
        return request;
    }

    /// <summary>Attaches the outcome to an answer.</summary>
    private RouteOutcome Answered(ChatResponse response, Call call)
    {
        var outcome = BuildOutcome(call.Request, call.Started, call.Activity);
        (response.AdditionalProperties ??= [])[RequestState.OutcomePropertyKey] = outcome;
        RouteOutcomes.MarkToolTurn(response, outcome);
        TagAnswer(call.Activity, response.FinishReason, response.Messages);
        return outcome;
    }

    /// <summary>Ends a call, answered or failed: records it once, tells the listeners, and lets go of its span and deadline.</summary>
    private void End(Call call, RouteOutcome? outcome)
    {
        try
        {
            outcome ??= BuildOutcome(call.Request, call.Started, call.Activity, committed: false, failed: true);
            RecordTask(outcome);
            Notify(outcome);
        }
        finally
        {
            call.Activity?.Dispose();
            call.Linked?.Dispose();
            call.Deadline?.Dispose();
        }
    }

    /// <summary>Starts the request's span; with content capture on, it carries the prompt.</summary>
    private Activity? StartActivity(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        var activity = HybridInferenceTelemetry.ActivitySource.StartActivity("hybrid_inference.request", ActivityKind.Internal);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(HybridInferenceTelemetry.GenAiOperationName, HybridInferenceTelemetry.ChatOperation);
            activity.SetTag(HybridInferenceTelemetry.GenAiRequestModel, options?.ModelId);
            if (_captureContent)
            {
                activity.SetTag(HybridInferenceTelemetry.GenAiInputMessages, MessageContent.ToJson(messages));
            }
        }

        return activity;
    }

    /// <summary>Adds what only the answer tells: its finish reason and, with content capture on, its text.</summary>
    private void TagAnswer(Activity? activity, ChatFinishReason? finishReason, IList<ChatMessage>? messages)
    {
        if (activity is not { IsAllDataRequested: true })
        {
            return;
        }

        if (finishReason is { } reason)
        {
            activity.SetTag(HybridInferenceTelemetry.GenAiFinishReasons, HybridInferenceTelemetry.ToTag(reason));
        }

        if (_captureContent && messages is not null)
        {
            activity.SetTag(HybridInferenceTelemetry.GenAiOutputMessages, MessageContent.ToJson(messages, finishReason));
        }
    }

    /// <summary>Attaches the outcome of a failed request to its exception, where <see cref="RouteOutcomeExtensions.GetRouteOutcome(Exception)"/> finds it.</summary>
    private TException WithOutcome<TException>(TException exception, RequestState request, long started, Activity? activity, bool committed, out RouteOutcome? outcome)
        where TException : Exception
    {
        outcome = BuildOutcome(request, started, activity, committed, failed: true);
        exception.Data[RequestState.OutcomePropertyKey] = outcome;
        activity?.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
        return exception;
    }

    private RouteOutcome BuildOutcome(RequestState request, long started, Activity? activity, bool committed = true, bool failed = false)
    {
        var outcome = RouteOutcomes.Fold(request, _timeProvider.GetElapsedTime(started), committed, failed);
        var backend = request.Attempts.LastBackend;
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(HybridInferenceTelemetry.GenAiProviderName, backend?.Provider);
            activity.SetTag(HybridInferenceTelemetry.GenAiResponseModel, backend?.ResponseModelTag(outcome.Model));
            activity.SetTag(HybridInferenceTelemetry.GenAiInputTokens, outcome.InputTokens);
            activity.SetTag(HybridInferenceTelemetry.GenAiOutputTokens, outcome.OutputTokens);
            activity.SetTag("hybrid.category", HybridInferenceTelemetry.ToTag(outcome.Category));
            activity.SetTag("hybrid.route", HybridInferenceTelemetry.ToTag(outcome.Target));
            activity.SetTag("hybrid.backend", outcome.Backend);
            activity.SetTag("hybrid.decision", HybridInferenceTelemetry.ToTag(outcome.Decision));
            activity.SetTag("hybrid.decision_reason", HybridInferenceTelemetry.ToTag(outcome.DecisionReason));
            activity.SetTag("hybrid.escalation_reason", HybridInferenceTelemetry.ToTag(outcome.EscalationReason));
            activity.SetTag("hybrid.attempts", outcome.Attempts);
            activity.SetTag("hybrid.validation_failures", outcome.ValidationFailures);
            activity.SetTag("hybrid.estimated_prompt_tokens", outcome.EstimatedPromptTokens);
            activity.SetTag("hybrid.cost_usd", outcome.CostUsd);
            activity.SetTag("hybrid.cloud_baseline_cost_usd", outcome.CloudBaselineCostUsd);
            activity.SetTag("hybrid.output_committed", outcome.OutputCommitted);
        }

        return outcome;
    }

    /// <summary>Tells every listener; one that throws is logged and the others still hear of it.</summary>
    private void Notify(RouteOutcome outcome)
    {
        foreach (var listener in _listeners)
        {
            try
            {
                listener.OnRequestFinished(outcome);
            }
            catch (Exception ex)
            {
                Log.ListenerFailed(_logger, listener.GetType().Name, Log.Describe(ex));
            }
        }
    }

    /// <summary>Records every finished request once, answered or failed, so the task-cost histogram counts requests exactly.</summary>
    private void RecordTask(RouteOutcome outcome)
    {
        _metrics.RecordTaskCost(outcome.Target, outcome.CostUsd);
        if (outcome.EscalationReason != EscalationReason.None)
        {
            _metrics.RecordEscalation(outcome.EscalationReason);
        }
    }

    /// <summary>What a call carries from its start to its end.</summary>
    private readonly record struct Call(
        RequestState Request, long Started, Activity? Activity, CancellationTokenSource? Deadline, CancellationTokenSource? Linked, CancellationToken CallerCancellation);
}
