using System.Runtime.ExceptionServices;
using HybridInference.Errors;
using HybridInference.Internal;
using HybridInference.Telemetry;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Polly.CircuitBreaker;

namespace HybridInference.Fallback;

/// <summary>
/// The head of the local lane: runs a request on the rest of the lane and escalates it to the cloud lane when local
/// fails. A local JSON answer that failed validation (an <see cref="OutputValidationException"/> from the lane's JSON
/// validation) is retried locally with a constrained prompt that quotes the errors, at most
/// <see cref="RoutingOptions.FallbackMaxRetries"/> times, before escalating with the original prompt.
/// </summary>
/// <remarks>
/// <para>
/// Every path is bounded: at most 1 + <c>FallbackMaxRetries</c> local attempts and one escalation; there is no loop
/// back. What escalates is <see cref="Failures.Escalates"/>. A request that may not leave the machine
/// (<see cref="DataPolicy.LocalOnly"/>, or no cloud lane) is never escalated: the caller gets
/// <see cref="LocalBackendUnavailableException"/> or <see cref="OutputValidationException"/>. The cloud lane checks
/// the JSON of the escalated answer itself.
/// </para>
/// <para>
/// Streaming: a request streams, and escalates only if local fails before its first update reached the caller (a JSON
/// stream is checked whole below, so its failure always comes first).
/// </para>
/// </remarks>
internal sealed class SchemaValidatingFallbackChatClient : DelegatingChatClient
{
    private readonly IChatClient? _escalation;
    private readonly ILogger _logger;
    private readonly int _maxRetries;
    private volatile bool _disposed;

    /// <summary>Initializes a new instance of the <see cref="SchemaValidatingFallbackChatClient"/> class.</summary>
    /// <param name="primary">The rest of the local lane.</param>
    /// <param name="escalation">The cloud lane, or <see langword="null"/> in offline mode. Not owned: the router disposes it.</param>
    /// <param name="maxRetries">How many constrained local retries follow a validation failure.</param>
    /// <param name="logger">The logger for retries and escalations.</param>
    public SchemaValidatingFallbackChatClient(IChatClient primary, IChatClient? escalation, int maxRetries, ILogger logger)
        : base(primary)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxRetries);
        _escalation = escalation;
        _maxRetries = maxRetries;
        _logger = logger;
    }

    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var state = RequestState.GetOrAttach(ref options);

        // The hot path: an answer that is already there passes on as it is, with no async layer of its own.
        var first = Attempt(messages, options, cancellationToken);
        return first.IsCompletedSuccessfully ? first : GetResponseSlowAsync(first, state, messages, options, cancellationToken);
    }

    /// <summary>Waits for the first local attempt, then retries or escalates while it and its successors fail.</summary>
    private async Task<ChatResponse> GetResponseSlowAsync(
        Task<ChatResponse> first, RequestState state, IEnumerable<ChatMessage> messages, ChatOptions options, CancellationToken cancellationToken)
    {
        var attempt = first;
        for (var retry = 0; ; retry++)
        {
            try
            {
                return await attempt.ConfigureAwait(false);
            }
            catch (Exception ex) when (Failures.Escalates(ex, cancellationToken))
            {
                var next = Next(state, ex, messages, options, retry);
                if (next is null)
                {
                    return await Escalate(state, options, ex).GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
                }

                attempt = Attempt(next, options, cancellationToken);
            }
        }
    }

    /// <summary>Calls the rest of the lane; a failure it throws at once becomes a failed task, handled like any other.</summary>
    private Task<ChatResponse> Attempt(IEnumerable<ChatMessage> messages, ChatOptions options, CancellationToken cancellationToken)
    {
        try
        {
            return InnerClient.GetResponseAsync(messages, options, cancellationToken);
        }
        catch (Exception ex)
        {
            return Task.FromException<ChatResponse>(ex);
        }
    }

    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var state = RequestState.GetOrAttach(ref options);
        return new DeferredStream(token => StartStreamAsync(state, messages, options, token), cancellationToken);
    }

    /// <summary>Starts the stream locally, retrying or escalating while no update has reached the caller.</summary>
    private async ValueTask<IAsyncEnumerator<ChatResponseUpdate>> StartStreamAsync(RequestState state, IEnumerable<ChatMessage> messages, ChatOptions options, CancellationToken cancellationToken)
    {
        var attemptMessages = messages;
        for (var retry = 0; ; retry++)
        {
            var (stream, failure) = await StartedStream.StartAsync(InnerClient.GetStreamingResponseAsync(attemptMessages, options, cancellationToken), cancellationToken).ConfigureAwait(false);
            if (stream is not null)
            {
                return stream.Replay();
            }

            if (!Failures.Escalates(failure!.SourceException, cancellationToken))
            {
                failure.Throw();
            }

            var next = Next(state, failure.SourceException, messages, options, retry);
            if (next is null)
            {
                // Local failed before any output reached the caller: escalate as a stream.
                return Escalate(state, options, failure.SourceException).GetStreamingResponseAsync(messages, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
            }

            attemptMessages = next;
        }
    }

    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        base.Dispose(disposing);
    }

    /// <summary>
    /// What follows a failed local attempt: the messages of a constrained retry, or <see langword="null"/> to escalate.
    /// Throws when the request may not escalate.
    /// </summary>
    private List<ChatMessage>? Next(RequestState state, Exception failure, IEnumerable<ChatMessage> messages, ChatOptions options, int retry)
    {
        if (failure is not OutputValidationException { Response: { } rejected } invalid || options.ResponseFormat is not ChatResponseFormatJson json)
        {
            return null;
        }

        if (retry < _maxRetries)
        {
            Log.RetryingWithConstrainedPrompt(_logger, state.Attempts.LastBackend?.Name ?? "unknown", invalid.Reason, invalid.Errors.Count, retry + 1, _maxRetries);
            if (invalid.Reason == ValidationFailureReason.Truncated && options.MaxOutputTokens is { } limit)
            {
                // The request's own copy of the options: the retry, and an escalation after it, get twice the room.
                options.MaxOutputTokens = limit > int.MaxValue / 2 ? int.MaxValue : limit * 2;
            }

            return RetryPrompt.Build(messages, rejected, json, invalid.Reason, invalid.Errors);
        }

        if (!MayEscalate(state, options) || HedgeOwnsCloud(state))
        {
            var why = MayEscalate(state, options) ? "the hedged cloud attempt already running is its escalation"
                : Degraded(state) ? "the cloud, which it went to first, could not answer it" : "the request may not leave the machine";
            throw new OutputValidationException(
                $"The local answer failed JSON Schema validation ({ResponseValidation.Describe(invalid.Reason)}) after {state.ValidationFailures} attempt(s) and {why}: {ResponseValidation.Describe(invalid.Errors)}",
                invalid.Errors,
                rejected,
                invalid.Reason);
        }

        return null;
    }

    /// <summary>Turns to the cloud lane, recording why; throws when the request may not go there.</summary>
    private IChatClient Escalate(RequestState state, ChatOptions options, Exception failure)
    {
        var reason = failure switch
        {
            OutputValidationException => EscalationReason.ValidationFailed,
            BrokenCircuitException => EscalationReason.CircuitOpen,
            ContextWindowExceededException => EscalationReason.ContextLimit,
            _ => EscalationReason.LocalError,
        };

        if (HedgeOwnsCloud(state))
        {
            // The hedge's cloud call is this request's escalation; the local half fails and the hedge answers.
            ExceptionDispatchInfo.Throw(failure);
        }

        if (!MayEscalate(state, options))
        {
            if (failure is ContextWindowExceededException tooLong)
            {
                // A prompt the server rejects as too long is that, for the caller too: the server's words say the sizes.
                ExceptionDispatchInfo.Throw(tooLong);
            }

            var why = _escalation is null ? "no cloud backend is configured"
                : Degraded(state) ? "the cloud, which it went to first, could not answer it" : "the request is local-only";
            var what = reason switch
            {
                EscalationReason.CircuitOpen => "the local circuit breaker is open",
                EscalationReason.ContextLimit => "the prompt does not fit the local context window",
                _ => "the local backend failed",
            };
            throw new LocalBackendUnavailableException($"The request could not be served locally ({what}) and {why}, so it was not sent to the cloud.", failure);
        }

        state.Escalation = reason;
        Log.Escalating(_logger, reason, Log.Describe(failure));
        return _escalation!;
    }

    /// <summary>
    /// Whether the request is hedged and its hedge has the cloud already: the local lane then stands down and fails
    /// rather than make a second cloud call. Otherwise the escalation claims it.
    /// </summary>
    private static bool HedgeOwnsCloud(RequestState state) => state.Hedge is { } hedge && !hedge.TryClaimForLocal();

    private bool MayEscalate(RequestState state, ChatOptions options) =>
        _escalation is not null && (state.Profile?.DataPolicy ?? options.GetDataPolicy()) != DataPolicy.LocalOnly
        && !Degraded(state);

    /// <summary>Whether the request runs locally because the cloud could not answer it (the router degraded it): it is not sent back there.</summary>
    private static bool Degraded(RequestState state) => state.Decision is { Reason: RouteReason.CloudUnavailable };
}
