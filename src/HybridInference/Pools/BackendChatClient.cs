using System.Diagnostics;
using System.Runtime.CompilerServices;
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
internal sealed class BackendChatClient : DelegatingChatClient
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

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var trial = Acquire();
        try
        {
            var request = BeginAttempt(options);
            using var activity = StartActivity(request);
            var started = _timeProvider.GetTimestamp();
            ChatResponse response;
            try
            {
                response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Fail(request, activity, ex, started, cancellationToken);
                throw;
            }

            Complete(request, activity, response.Usage, response.ModelId, response, started, response.FinishReason, committed: true);
            return response;
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
        StreamAsync(messages, options, timeToFirstToken, cancellationToken);

    private async IAsyncEnumerable<ChatResponseUpdate> StreamAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options, TimeSpan? timeToFirstToken, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var trial = Acquire();
        try
        {
            var request = BeginAttempt(options);
            using var activity = StartActivity(request);
            var started = _timeProvider.GetTimestamp();
            UsageDetails? usage = null;
            string? modelId = null;
            ChatFinishReason? finishReason = null;
            var outputChars = 0;
            var yieldedContent = false;

            // The silence bound: time waiting for the backend without a token, reset at every token, so that it ends a
            // stream that stalls (before its first token or between two) however the server keeps the connection busy:
            // role-only or empty chunks, keep-alive comments, a byte at a time. HttpClient's timeout does not cover reading
            // a body. It runs only while an update is awaited: the time the caller takes with one is not the backend's.
            // Until the first token the time-to-first-token limit applies instead, when it is the shorter.
            var firstTokenLimit = timeToFirstToken is { } limit && limit < Info.Timeout ? limit : (TimeSpan?)null;
            using var silence = new SilenceWatch(_timeProvider, firstTokenLimit ?? Info.Timeout, Info.Timeout);
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, silence.Token);
            IAsyncEnumerator<ChatResponseUpdate> updates;
            try
            {
                updates = base.GetStreamingResponseAsync(messages, options, linked.Token).GetAsyncEnumerator(linked.Token);
            }
            catch (Exception ex)
            {
                Fail(request, activity, ex, started, cancellationToken);
                throw;
            }

            var recorded = false;
            try
            {
                while (true)
                {
                    ChatResponseUpdate update;
                    silence.BeginWait();
                    try
                    {
                        if (!await updates.MoveNextAsync().ConfigureAwait(false))
                        {
                            break;
                        }

                        update = updates.Current;
                    }
                    catch (Exception ex) when (silence.Expired && !cancellationToken.IsCancellationRequested)
                    {
                        var timeout = new BackendException(
                            BackendErrorKind.Timeout,
                            !silence.HadToken && firstTokenLimit is { } first
                                ? $"Backend '{Info.Name}' produced no token within the time-to-first-token limit of {first.TotalSeconds:0.###} s, HybridInference:{Info.Lane}:TimeToFirstToken."
                                : $"Backend '{Info.Name}' sent no token for {Http.SettingText.Timeout(Info.Timeout, Info.TimeoutKey)}; the stream was abandoned.",
                            innerException: ex);
                        activity?.SetTag("hybrid.output_committed", yieldedContent);
                        recorded = true;
                        Fail(request, activity, timeout, started, cancellationToken);
                        throw timeout;
                    }
                    catch (Exception ex)
                    {
                        activity?.SetTag("hybrid.output_committed", yieldedContent);
                        recorded = true;
                        Fail(request, activity, ex, started, cancellationToken);
                        throw;
                    }

                    silence.EndWait(token: StartedStream.HasToken(update) || update.FinishReason is not null);

                    modelId ??= update.ModelId;
                    finishReason = update.FinishReason ?? finishReason;
                    var contents = update.Contents;
                    for (var i = 0; i < contents.Count; i++)
                    {
                        switch (contents[i])
                        {
                            case UsageContent usageContent:
                                (usage ??= new UsageDetails()).Add(usageContent.Details);
                                break;
                            case TextContent text:
                                outputChars += text.Text.Length;
                                yieldedContent |= text.Text.Length > 0;
                                break;
                            case FunctionCallContent:
                                yieldedContent = true;
                                break;
                        }
                    }

                    yield return update;
                }
            }
            finally
            {
                await updates.DisposeAsync().ConfigureAwait(false);
                if (!recorded)
                {
                    // Ended, or the caller stopped reading: the call is in the log all the same, with what it produced.
                    // Without reported usage, output is estimated from its length (about four characters a token).
                    Complete(request, activity, usage ?? new UsageDetails { OutputTokenCount = (outputChars + 3) / 4 }, modelId, response: null, started, finishReason, yieldedContent);
                }
            }
        }
        finally
        {
            State.Release(trial);
        }
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
        request?.Attempts.Append(new BackendAttempt(Info, Model: null, 0, 0, 0, 0, Succeeded: false));
        State.RecordFailure(exception, Errors.Failures.CountsAgainstHealth(exception, cancellationToken));
        var errorType = exception.GetType().FullName;
        activity?.SetStatus(ActivityStatusCode.Error, errorType);
        activity?.SetTag(HybridInferenceTelemetry.ErrorType, errorType);
        _metrics.RecordOperation(Info, responseModel: null, inputTokens: null, outputTokens: null, _timeProvider.GetElapsedTime(started).TotalSeconds, errorType);
    }

    private void Complete(
        RequestState? request, Activity? activity, UsageDetails? usage, string? modelId, ChatResponse? response, long started, ChatFinishReason? finishReason, bool committed)
    {
        var elapsed = _timeProvider.GetElapsedTime(started);
        State.RecordSuccess(elapsed);
        var input = usage?.InputTokenCount ?? request?.Profile?.EstimatedPromptTokens ?? 0;
        var output = usage?.OutputTokenCount ?? (response is null ? 0 : HeuristicTokenCounter.CountText(response.Text));
        var price = modelId is null || string.Equals(modelId, Info.Model, StringComparison.OrdinalIgnoreCase)
            ? _price
            : ReportedModelPrice(modelId);
        var cost = _costs.Cost(Info.Lane, price, input, output, elapsed);

        request?.Attempts.Append(new BackendAttempt(Info, modelId ?? Info.Model, input, output, cost, _costs.CloudBaseline(input, output), Succeeded: true));

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

    /// <summary>A model name a server reported, with its price.</summary>
    private sealed record ReportedPrice(string Model, ModelPrice? Price);
}
