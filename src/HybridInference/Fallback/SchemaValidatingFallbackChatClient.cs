using System.Runtime.CompilerServices;
using HybridInference.Internal;
using HybridInference.Telemetry;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Polly.CircuitBreaker;

namespace HybridInference.Fallback;

/// <summary>
/// Runs a request on the local lane and escalates it to the cloud lane when local fails. For JSON requests, the
/// local answer is validated against the request's schema and retried locally with a constrained prompt that quotes
/// the errors, at most <see cref="RoutingOptions.FallbackMaxRetries"/> times, before escalating with the original prompt.
/// </summary>
/// <remarks>
/// <para>
/// Every path is bounded: at most 1 + <c>FallbackMaxRetries</c> local attempts and one escalation; there is no loop
/// back. A request that may not leave the machine (<see cref="DataPolicy.LocalOnly"/>, or no cloud lane) is never
/// escalated: the caller gets <see cref="LocalBackendUnavailableException"/> or <see cref="OutputValidationException"/>.
/// </para>
/// <para>
/// Streaming: a JSON request is buffered: the answer is fetched whole, validated, and only then replayed as
/// updates, so the caller never sees invalid output. Other requests stream, and escalate only if local fails before
/// its first update reached the caller.
/// </para>
/// </remarks>
internal sealed class SchemaValidatingFallbackChatClient : DelegatingChatClient, IResponseCheck
{
    private readonly IChatClient? _escalation;
    private readonly IJsonSchemaValidator _validator;
    private readonly HybridInferenceMetrics _metrics;
    private readonly ILogger _logger;
    private readonly int _maxRetries;
    private readonly bool _extractJson;
    private volatile bool _disposed;

    /// <summary>Initializes a new instance of the <see cref="SchemaValidatingFallbackChatClient"/> class.</summary>
    /// <param name="primary">The local lane.</param>
    /// <param name="escalation">The cloud lane, or <see langword="null"/> in offline mode.</param>
    /// <param name="validator">The schema validator.</param>
    /// <param name="maxRetries">How many constrained local retries follow a validation failure.</param>
    /// <param name="extractJson">Whether JSON is extracted from a code fence or prose around it before validation.</param>
    /// <param name="metrics">The metrics to record validation failures and extractions in.</param>
    /// <param name="logger">The logger for retries and escalations.</param>
    public SchemaValidatingFallbackChatClient(
        IChatClient primary, IChatClient? escalation, IJsonSchemaValidator validator, int maxRetries, bool extractJson, HybridInferenceMetrics metrics, ILogger logger)
        : base(primary)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxRetries);
        _escalation = escalation;
        _validator = validator;
        _maxRetries = maxRetries;
        _extractJson = extractJson;
        _metrics = metrics;
        _logger = logger;
    }

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var request = HybridRequest.GetOrAttach(ref options);
        var json = options.ResponseFormat as ChatResponseFormatJson;
        if (json is null)
        {
            try
            {
                return await InnerClient.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsEscalatable(ex, cancellationToken) && !HedgeOwnsCloud(request))
            {
                return await EscalateAfterErrorAsync(request, ex, messages, options, cancellationToken).ConfigureAwait(false);
            }
        }

        return await GetValidatedResponseAsync(request, json, messages, options, cancellationToken).ConfigureAwait(false);
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var request = HybridRequest.GetOrAttach(ref options);
        if (options.ResponseFormat is ChatResponseFormatJson json)
        {
            var validated = await GetValidatedResponseAsync(request, json, messages, options, cancellationToken).ConfigureAwait(false);
            foreach (var update in validated.ToChatResponseUpdates())
            {
                yield return update;
            }

            yield break;
        }

        var (stream, failure) = await StartedStream.StartAsync(InnerClient.GetStreamingResponseAsync(messages, options, cancellationToken), cancellationToken).ConfigureAwait(false);
        if (stream is not null)
        {
            await foreach (var update in stream.ReadAllAsync(cancellationToken).ConfigureAwait(false))
            {
                yield return update;
            }

            yield break;
        }

        if (!IsEscalatable(failure!.SourceException, cancellationToken) || HedgeOwnsCloud(request))
        {
            failure.Throw();
        }

        // Local failed before any output reached the caller: escalate as a stream.
        var escalation = BeginEscalation(request, options, failure.SourceException);
        await foreach (var update in escalation.GetStreamingResponseAsync(messages, options, cancellationToken).ConfigureAwait(false))
        {
            yield return update;
        }
    }

    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType == typeof(IJsonSchemaValidator) ? _validator : base.GetService(serviceType, serviceKey);
    }

    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        base.Dispose(disposing);
    }

    /// <summary>Validates a local answer once; the breaker and this client share the result through the request.</summary>
    bool IResponseCheck.Passes(ChatResponse response, HybridRequest request, CancellationToken cancellationToken) => Check(response, request, cancellationToken).IsValid;

    private async Task<ChatResponse> GetValidatedResponseAsync(
        HybridRequest request, ChatResponseFormatJson json, IEnumerable<ChatMessage> messages, ChatOptions options, CancellationToken cancellationToken)
    {
        // A schema that cannot be used fails the request now, before any model is asked.
        if (json.Schema is { } schema)
        {
            _validator.PrepareSchema(schema);
        }

        request.ResponseFormat = json;
        request.LocalResponseCheck = this;
        var attemptMessages = messages;
        AnswerCheck check = default;
        ChatResponse? response = null;
        for (var retry = 0; ; retry++)
        {
            try
            {
                response = await InnerClient.GetResponseAsync(attemptMessages, options, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsEscalatable(ex, cancellationToken) && !HedgeOwnsCloud(request))
            {
                // The cloud's answer to a JSON request is checked too, whatever sent the request there.
                request.LocalResponseCheck = null;
                return await GetCheckedAnswerAsync(BeginEscalation(request, options, ex), json, messages, options, cancellationToken).ConfigureAwait(false);
            }

            check = Check(response, request, cancellationToken);
            var backend = request.LastBackend?.Name ?? "unknown";
            if (check.ExtractedJson is not null)
            {
                _metrics.RecordJsonExtraction(backend);
            }

            if (check.IsValid)
            {
                request.LocalResponseCheck = null;
                return WithJson(response, check.ExtractedJson);
            }

            request.ValidationFailures++;
            _metrics.RecordValidationFailure(backend, check.Reason);
            if (retry >= _maxRetries)
            {
                break;
            }

            Log.RetryingWithConstrainedPrompt(_logger, backend, check.Reason, check.Result.Errors!.Count, retry + 1, _maxRetries);
            if (check.Reason == ValidationFailureReason.Truncated && options.MaxOutputTokens is { } limit)
            {
                // The request's own copy of the options: the retry, and an escalation after it, get twice the room.
                options.MaxOutputTokens = limit > int.MaxValue / 2 ? int.MaxValue : limit * 2;
            }

            attemptMessages = RetryPrompt.Build(messages, response, json, check);
        }

        request.LocalResponseCheck = null;
        if (!MayEscalate(request, options) || HedgeOwnsCloud(request))
        {
            var why = MayEscalate(request, options) ? "the hedged cloud attempt already running is its escalation" : "the request may not leave the machine";
            throw new OutputValidationException(
                $"The local answer failed JSON Schema validation ({Describe(check.Reason)}) after {request.ValidationFailures} attempt(s) and {why}: {Describe(check.Result.Errors!)}",
                check.Result.Errors!,
                response,
                check.Reason);
        }

        var escalation = BeginEscalation(request, options, EscalationReason.ValidationFailed, exception: null);
        return await GetCheckedAnswerAsync(escalation, json, messages, options, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Asks the cloud lane for the request's JSON answer and validates it (the cloud gets no retry): the escalation
    /// after local validation failures, and the cloud half of a hedged JSON request.
    /// </summary>
    /// <exception cref="InvalidOperationException">No cloud lane is configured.</exception>
    /// <exception cref="OutputValidationException">The cloud answer is not valid against the schema.</exception>
    internal Task<ChatResponse> GetCheckedCloudAnswerAsync(ChatResponseFormatJson json, IEnumerable<ChatMessage> messages, ChatOptions options, CancellationToken cancellationToken) =>
        GetCheckedAnswerAsync(_escalation ?? throw new InvalidOperationException("No cloud lane is configured."), json, messages, options, cancellationToken);

    private async Task<ChatResponse> GetCheckedAnswerAsync(
        IChatClient cloud, ChatResponseFormatJson json, IEnumerable<ChatMessage> messages, ChatOptions options, CancellationToken cancellationToken)
    {
        var escalated = await cloud.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        var cloudCheck = ResponseValidation.Check(_validator, json.Schema, escalated, _extractJson, cancellationToken);
        if (!cloudCheck.IsValid)
        {
            throw new OutputValidationException(
                $"The cloud answer failed JSON Schema validation too ({Describe(cloudCheck.Reason)}); no further attempt is made: {Describe(cloudCheck.Result.Errors!)}",
                cloudCheck.Result.Errors!,
                escalated,
                cloudCheck.Reason);
        }

        if (cloudCheck.ExtractedJson is not null)
        {
            _metrics.RecordJsonExtraction(HybridRequest.Find(options)?.LastBackend?.Name ?? "unknown");
        }

        return WithJson(escalated, cloudCheck.ExtractedJson);
    }

    private AnswerCheck Check(ChatResponse response, HybridRequest request, CancellationToken cancellationToken)
    {
        if (ReferenceEquals(request.LastCheckedResponse, response))
        {
            return request.LastCheckResult;
        }

        var json = request.ResponseFormat ?? throw new InvalidOperationException("No JSON response format on the request.");
        var check = ResponseValidation.Check(_validator, json.Schema, response, _extractJson, cancellationToken);
        request.LastCheckedResponse = response;
        request.LastCheckResult = check;
        return check;
    }

    /// <summary>Replaces the answer's text with the JSON extracted from it, keeping everything else (usage, ids, non-text content).</summary>
    private static ChatResponse WithJson(ChatResponse response, string? extracted)
    {
        if (extracted is null)
        {
            return response;
        }

        var last = response.Messages.Count > 0 ? response.Messages[^1] : null;
        List<AIContent> contents = [new TextContent(extracted)];
        foreach (var message in response.Messages)
        {
            foreach (var content in message.Contents)
            {
                if (content is not TextContent)
                {
                    contents.Add(content);
                }
            }
        }

        response.Messages = [new ChatMessage(ChatRole.Assistant, contents)
        {
            AuthorName = last?.AuthorName,
            MessageId = last?.MessageId,
            CreatedAt = last?.CreatedAt,
            AdditionalProperties = last?.AdditionalProperties,
        }];
        return response;
    }

    private Task<ChatResponse> EscalateAfterErrorAsync(HybridRequest request, Exception exception, IEnumerable<ChatMessage> messages, ChatOptions options, CancellationToken cancellationToken) =>
        BeginEscalation(request, options, exception).GetResponseAsync(messages, options, cancellationToken);

    private IChatClient BeginEscalation(HybridRequest request, ChatOptions options, Exception exception)
    {
        var reason = exception switch
        {
            BrokenCircuitException => EscalationReason.CircuitOpen,
            ContextWindowExceededException => EscalationReason.ContextLimit,
            _ => EscalationReason.LocalError,
        };
        return BeginEscalation(request, options, reason, exception);
    }

    private IChatClient BeginEscalation(HybridRequest request, ChatOptions options, EscalationReason reason, Exception? exception)
    {
        if (!MayEscalate(request, options))
        {
            if (exception is ContextWindowExceededException tooLong)
            {
                // A prompt the server rejects as too long is that, for the caller too: the server's words say the sizes.
                System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(tooLong);
            }

            var why = _escalation is null ? "no cloud backend is configured" : "the request is local-only";
            var what = reason switch
            {
                EscalationReason.CircuitOpen => "the local circuit breaker is open",
                EscalationReason.ContextLimit => "the prompt does not fit the local context window",
                _ => "the local backend failed",
            };
            throw new LocalBackendUnavailableException($"The request could not be served locally ({what}) and {why}, so it was not sent to the cloud.", exception);
        }

        request.Escalation = reason;
        Log.Escalating(_logger, reason, Log.Describe(exception));
        return _escalation!;
    }

    /// <summary>
    /// Whether the request is hedged and its hedge has the cloud already: the local lane then stands down and fails
    /// rather than make a second cloud call, and the router waits for the hedge. Otherwise the escalation claims it.
    /// </summary>
    private static bool HedgeOwnsCloud(HybridRequest request) => request.CloudClaim is { } claim && !claim.TryClaimForLocal();

    private bool MayEscalate(HybridRequest request, ChatOptions options) =>
        _escalation is not null && (request.Profile?.DataPolicy ?? options.GetDataPolicy()) != DataPolicy.LocalOnly;

    private static bool IsEscalatable(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        OperationCanceledException when cancellationToken.IsCancellationRequested => false,

        // A request the server rejected, or the client refused, is the caller's: the cloud would get the same mistake.
        ArgumentException or BackendException { Kind: BackendErrorKind.BadRequest } => false,
        ContextWindowExceededException or BackendException => true,
        HybridInferenceException => false, // Our own verdicts (a refused request, an invalid schema) are final.
        _ => true,
    };

    private static string Describe(IReadOnlyList<JsonSchemaValidationError> errors) =>
        string.Join("; ", errors.Take(Defaults.RetryPromptMaxErrors));

    private static string Describe(ValidationFailureReason reason) => reason switch
    {
        ValidationFailureReason.InvalidJson => "not JSON",
        ValidationFailureReason.Truncated => "cut off by the output token limit",
        ValidationFailureReason.SchemaEcho => "the schema repeated instead of data",
        _ => "does not match the schema",
    };
}
