using System.Diagnostics;
using System.Text;
using HybridInference.Cost;
using HybridInference.Internal;
using HybridInference.Telemetry;
using HybridInference.Tokens;
using Microsoft.Extensions.AI;

namespace HybridInference.Pools;

/// <summary>
/// Wraps one backend's client: counts each call as an attempt of the request, meters its tokens, cost and duration,
/// traces it, refuses a local-only request if it ever reaches a cloud backend, and ends a stream that goes longer than
/// the backend's <see cref="BackendInfo.Timeout"/> without a token.
/// </summary>
internal sealed partial class BackendChatClient : DelegatingChatClient
{
    private readonly CostCalculator _costs;
    private readonly HybridInferenceMetrics _metrics;
    private readonly TimeProvider _timeProvider;
    private readonly ModelPrice? _price;

    /// <summary>The price of the model the server last reported when it differs from the configured one (servers repeat it).</summary>
    private ReportedPrice? _lastReported;

    public BackendChatClient(IChatClient innerClient, BackendInfo info, BackendState state, CostCalculator costs, HybridInferenceMetrics metrics, TimeProvider timeProvider)
        : base(innerClient)
    {
        Info = info;
        State = state;
        _costs = costs;
        _metrics = metrics;
        _timeProvider = timeProvider;
        _price = costs.FindPrice(info);
    }

    public BackendInfo Info { get; }

    /// <summary>Gets what the pool knows about this backend: load, latency, health.</summary>
    public BackendState State { get; }

    /// <remarks>
    /// An answer the client returns synchronously is passed on as the very task it came in, with no async layer; a
    /// refusal (the backend full, a local-only request at a cloud backend) is a faulted task, as from any async call.
    /// </remarks>
    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (options?.ModelId is not null && Refusal(ref options) is { } refused)
        {
            return Task.FromException<ChatResponse>(refused);
        }

        bool trial;
        RequestState? request;
        try
        {
            trial = Acquire();
        }
        catch (BackendException ex)
        {
            return Task.FromException<ChatResponse>(ex);
        }

        try
        {
            request = BeginAttempt(options);
        }
        catch (Exception ex)
        {
            State.Release(trial);
            return Task.FromException<ChatResponse>(ex);
        }

        var activity = StartActivity(request);
        var started = _timeProvider.GetTimestamp();
        Task<ChatResponse> answer;
        try
        {
            answer = base.GetResponseAsync(messages, options, cancellationToken);
        }
        catch (Exception ex)
        {
            answer = Task.FromException<ChatResponse>(ex);
        }

        if (!answer.IsCompletedSuccessfully)
        {
            return AwaitAsync(answer, messages, options, request, activity, started, trial, cancellationToken);
        }

        try
        {
            var response = answer.Result;
            Complete(request, activity, response.Usage, response.ModelId, started, response.FinishReason, committed: true, new Answer(messages, options, response, null, 0));
            return answer;
        }
        finally
        {
            activity?.Dispose();
            State.Release(trial);
        }
    }

    private async Task<ChatResponse> AwaitAsync(
        Task<ChatResponse> answer, IEnumerable<ChatMessage> messages, ChatOptions? options, RequestState? request, Activity? activity, long started, bool trial, CancellationToken cancellationToken)
    {
        try
        {
            using (activity)
            {
                ChatResponse response;
                try
                {
                    response = await answer.ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    Fail(request, activity, ex, started, cancellationToken);
                    throw;
                }

                Complete(request, activity, response.Usage, response.ModelId, started, response.FinishReason, committed: true, new Answer(messages, options, response, null, 0));
                return response;
            }
        }
        finally
        {
            State.Release(trial);
        }
    }

    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        GetStreamingResponseAsync(messages, options, timeToFirstToken: null, cancellationToken);

    /// <summary>Streams an answer that must produce its first token within <paramref name="timeToFirstToken"/>, if set.</summary>
    /// <param name="messages">The conversation.</param>
    /// <param name="options">The request's options.</param>
    /// <param name="timeToFirstToken">
    /// How long the stream may go without its first token (<see cref="StartedStream.HasToken"/>; content-free chunks do
    /// not count) before it fails with a <see cref="BackendException"/> of kind <see cref="BackendErrorKind.Timeout"/>,
    /// which counts against the backend's health; the backend's <see cref="BackendInfo.Timeout"/> when shorter or unset.
    /// </param>
    /// <param name="cancellationToken">Cancels the stream.</param>
    public IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options, TimeSpan? timeToFirstToken, CancellationToken cancellationToken) =>
        options?.ModelId is not null && Refusal(ref options) is { } refused
            ? Refuse(refused)
            : new MeteredStream(this, messages, options, timeToFirstToken, cancellationToken);

    /// <summary>
    /// Maps the request's model (<see cref="ChatOptions.ModelId"/>) to this backend's: the configured spelling when it
    /// names the same model in another casing (a copy of the options, the caller's untouched), else a refusal, before
    /// anything is sent or counted, when the backend serves another model. A backend that names no model takes it as it is.
    /// </summary>
    private ModelNotServedException? Refusal(ref ChatOptions? options)
    {
        var requested = options!.ModelId!;
        if (Info.Model is not { } served || string.Equals(requested, served, StringComparison.Ordinal))
        {
            return null;
        }

        if (string.Equals(requested, served, StringComparison.OrdinalIgnoreCase))
        {
            options = options.Clone();
            options.ModelId = served;
            return null;
        }

        return new ModelNotServedException(requested, $"Backend '{Info.Name}' serves model '{served}', not the requested '{requested}'; nothing was sent to it.");
    }

    private static async IAsyncEnumerable<ChatResponseUpdate> Refuse(Exception refusal)
    {
        await Task.CompletedTask.ConfigureAwait(false);
        if (refusal is not null)
        {
            throw refusal;
        }

        yield break;
    }

    /// <summary>Takes a slot, or refuses the call before anything is sent when the backend is full.</summary>
    /// <returns>Whether the call is the backend's probation trial.</returns>
    private ModelPrice? ReportedModelPrice(string modelId)
    {
        var last = _lastReported;
        if (last is not null && string.Equals(last.Model, modelId, StringComparison.Ordinal))
        {
            return last.Price;
        }

        var price = _costs.FindPrice(modelId) ?? _price;
        _lastReported = new ReportedPrice(modelId, price);
        return price;
    }

    private bool Acquire() => State.TryAcquire(Info.MaxConcurrentRequests, out var trial)
        ? trial
        : throw new BackendException(
            BackendErrorKind.Saturated,
            $"Backend '{Info.Name}' has {State.InFlight} requests in flight, its limit (or it is on probation with its trial request out); nothing was sent.");

    private RequestState? BeginAttempt(ChatOptions? options)
    {
        var request = RequestState.Find(options);
        if (Info.Lane == BackendLane.Cloud
            && (request?.Profile?.DataPolicy == DataPolicy.LocalOnly || options.GetDataPolicy() == DataPolicy.LocalOnly))
        {
            // Defence in depth: the router and the fallback never send a local-only request here.
            throw new LocalBackendUnavailableException(
                $"A local-only request reached cloud backend '{Info.Name}' and was refused before anything was sent.");
        }

        _metrics.RecordDispatch(Info, request?.Profile?.Category ?? TaskCategory.Routine, request?.Profile?.SensitiveTopic);
        return request;
    }

    private Activity? StartActivity(RequestState? request)
    {
        var activity = HybridInferenceTelemetry.ActivitySource.StartActivity($"chat {Info.Model ?? Info.Name}", ActivityKind.Client);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(HybridInferenceTelemetry.GenAiOperationName, HybridInferenceTelemetry.ChatOperation);
            activity.SetTag(HybridInferenceTelemetry.GenAiProviderName, Info.Provider);
            activity.SetTag(HybridInferenceTelemetry.GenAiRequestModel, Info.Model);
            activity.SetTag("hybrid.backend", Info.Name);
            activity.SetTag("hybrid.lane", Info.LaneTag);
            activity.SetTag("hybrid.attempt", (request?.Attempts.Count ?? 0) + 1);
        }

        return activity;
    }

    private void Fail(RequestState? request, Activity? activity, Exception exception, long started, CancellationToken cancellationToken)
    {
        request?.Attempts.Append(new BackendAttempt(Info, Model: null, 0, 0, 0, default, Succeeded: false));
        State.RecordFailure(exception, Errors.Failures.CountsAgainstHealth(exception, cancellationToken));
        var errorType = exception.GetType().FullName;
        activity?.SetStatus(ActivityStatusCode.Error, errorType);
        activity?.SetTag(HybridInferenceTelemetry.ErrorType, errorType);
        _metrics.RecordOperation(Info, responseModel: null, inputTokens: null, outputTokens: null, _timeProvider.GetElapsedTime(started).TotalSeconds, errorType);
    }

    private void Complete(
        RequestState? request, Activity? activity, UsageDetails? usage, string? modelId, long started, ChatFinishReason? finishReason, bool committed, in Answer answer)
    {
        var response = answer.Response;
        var elapsed = _timeProvider.GetElapsedTime(started);
        State.RecordSuccess(elapsed);
        var input = usage?.InputTokenCount ?? request?.Profile?.EstimatedPromptTokens ?? 0;
        var output = usage?.OutputTokenCount ?? (response is null ? 0 : HeuristicTokenCounter.CountText(response.Text));
        var price = modelId is null || string.Equals(modelId, Info.Model, StringComparison.OrdinalIgnoreCase)
            ? _price
            : ReportedModelPrice(modelId);
        var cost = _costs.Cost(Info.Lane, price, input, output, elapsed);

        request?.Attempts.Append(new BackendAttempt(Info, modelId ?? Info.Model, input, output, cost, Baseline(request, usage, answer), Succeeded: true));

        // The server's model string is not a tag: only a configured model name is (bounded cardinality, no echoed secrets).
        var modelTag = Info.ResponseModelTag(modelId);
        _metrics.RecordOperation(Info, modelTag, input, output, elapsed.TotalSeconds, errorType: null);
        if (activity is { IsAllDataRequested: true })
        {
            activity.SetTag(HybridInferenceTelemetry.GenAiResponseModel, modelTag);
            activity.SetTag(HybridInferenceTelemetry.GenAiInputTokens, input);
            activity.SetTag(HybridInferenceTelemetry.GenAiOutputTokens, output);
            if (finishReason is { } reason)
            {
                activity.SetTag(HybridInferenceTelemetry.GenAiFinishReasons, HybridInferenceTelemetry.ToTag(reason));
            }

            activity.SetTag("hybrid.cost_usd", cost);
            activity.SetTag("hybrid.output_committed", committed);
        }
    }

    /// <summary>
    /// The all-cloud baseline of an answer: on a cloud provider's reported usage when this is a cloud backend that
    /// reported it, else on the priced cloud model's counts of the prompt and the answer (the local model's usage is
    /// never priced at cloud rates); nothing is counted when no cloud model is priced.
    /// </summary>
    private BaselineCost Baseline(RequestState? request, UsageDetails? usage, in Answer answer)
    {
        if (!_costs.HasCloudBaseline)
        {
            return default;
        }

        if (Info.Lane == BackendLane.Cloud && usage is { InputTokenCount: { } reportedInput, OutputTokenCount: { } reportedOutput })
        {
            return _costs.CloudBaseline(reportedInput, reportedOutput);
        }

        var profile = request?.Profile;
        var response = answer.Response;
        return _costs.CloudBaseline(
            answer.Messages,
            answer.Options,
            profile is { PromptTokensExact: false } ? profile.EstimatedPromptTokens : null,
            response?.Messages ?? (answer.Text is { } text ? [new ChatMessage(ChatRole.Assistant, text.ToString())] : null),
            response is null ? answer.Estimate : CostCalculator.EstimateAnswer(response.Messages));
    }

    /// <summary>What an attempt was asked and answered, for the baseline.</summary>
    /// <param name="Messages">The prompt sent.</param>
    /// <param name="Options">The request's options.</param>
    /// <param name="Response">The answer, when it was not streamed.</param>
    /// <param name="Text">A streamed answer's text, when it was gathered (<see cref="CostCalculator.NeedsAnswerText"/>).</param>
    /// <param name="Estimate">A streamed answer's estimate: of its whole text, as a non-streamed answer's is.</param>
    private readonly record struct Answer(IEnumerable<ChatMessage> Messages, ChatOptions? Options, ChatResponse? Response, StringBuilder? Text, int Estimate);

    /// <summary>A model name a server reported, with its price.</summary>
    private sealed record ReportedPrice(string Model, ModelPrice? Price);
}
