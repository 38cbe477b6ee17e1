using System.Runtime.CompilerServices;
using System.Text;
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

    /// <summary>Initializes a new instance of the <see cref="SchemaValidatingFallbackChatClient"/> class.</summary>
    /// <param name="primary">The local lane.</param>
    /// <param name="escalation">The cloud lane, or <see langword="null"/> in offline mode.</param>
    /// <param name="validator">The schema validator.</param>
    /// <param name="maxRetries">How many constrained local retries follow a validation failure.</param>
    /// <param name="metrics">The metrics to record validation failures in.</param>
    /// <param name="logger">The logger for retries and escalations.</param>
    public SchemaValidatingFallbackChatClient(
        IChatClient primary, IChatClient? escalation, IJsonSchemaValidator validator, int maxRetries, HybridInferenceMetrics metrics, ILogger logger)
        : base(primary)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxRetries);
        _escalation = escalation;
        _validator = validator;
        _maxRetries = maxRetries;
        _metrics = metrics;
        _logger = logger;
    }

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var request = HybridRequest.GetOrAttach(ref options);
        var json = options.ResponseFormat as ChatResponseFormatJson;
        if (json is null)
        {
            try
            {
                return await InnerClient.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsEscalatable(ex, cancellationToken))
            {
                return await EscalateAfterErrorAsync(request, ex, messages, options, cancellationToken).ConfigureAwait(false);
            }
        }

        return await GetValidatedResponseAsync(request, json, messages, options, cancellationToken).ConfigureAwait(false);
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
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

        if (!IsEscalatable(failure!.SourceException, cancellationToken))
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

    /// <summary>Validates a local answer once; the breaker and this client share the result through the request.</summary>
    bool IResponseCheck.Passes(ChatResponse response, HybridRequest request) => Check(response, request).IsValid;

    private async Task<ChatResponse> GetValidatedResponseAsync(
        HybridRequest request, ChatResponseFormatJson json, IEnumerable<ChatMessage> messages, ChatOptions options, CancellationToken cancellationToken)
    {
        request.ResponseFormat = json;
        request.LocalResponseCheck = this;
        var attemptMessages = messages;
        JsonSchemaValidationResult result = default;
        ChatResponse? response = null;
        for (var retry = 0; ; retry++)
        {
            try
            {
                response = await InnerClient.GetResponseAsync(attemptMessages, options, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsEscalatable(ex, cancellationToken))
            {
                request.LocalResponseCheck = null;
                return await EscalateAfterErrorAsync(request, ex, messages, options, cancellationToken).ConfigureAwait(false);
            }

            result = Check(response, request);
            if (result.IsValid)
            {
                request.LocalResponseCheck = null;
                return response;
            }

            request.ValidationFailures++;
            var backend = request.LastBackend?.Name ?? "unknown";
            _metrics.RecordValidationFailure(backend);
            if (retry >= _maxRetries)
            {
                break;
            }

            Log.RetryingWithConstrainedPrompt(_logger, backend, result.Errors!.Count, retry + 1, _maxRetries);
            attemptMessages = BuildConstrainedPrompt(messages, response, json, result.Errors);
        }

        request.LocalResponseCheck = null;
        if (!MayEscalate(request, options))
        {
            throw new OutputValidationException(
                $"The local answer failed JSON Schema validation after {request.ValidationFailures} attempt(s) and the request may not leave the machine: {Describe(result.Errors!)}",
                result.Errors!,
                response);
        }

        var escalation = BeginEscalation(request, options, EscalationReason.ValidationFailed, exception: null);
        var escalated = await escalation.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        var cloudResult = ResponseValidation.Validate(_validator, json.Schema, escalated);
        if (!cloudResult.IsValid)
        {
            throw new OutputValidationException(
                $"The cloud answer failed JSON Schema validation too; no further attempt is made: {Describe(cloudResult.Errors!)}",
                cloudResult.Errors!,
                escalated);
        }

        return escalated;
    }

    private JsonSchemaValidationResult Check(ChatResponse response, HybridRequest request)
    {
        if (ReferenceEquals(request.LastCheckedResponse, response))
        {
            return request.LastCheckResult;
        }

        var json = request.ResponseFormat ?? throw new InvalidOperationException("No JSON response format on the request.");
        var result = ResponseValidation.Validate(_validator, json.Schema, response);
        request.LastCheckedResponse = response;
        request.LastCheckResult = result;
        return result;
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

    private bool MayEscalate(HybridRequest request, ChatOptions options) =>
        _escalation is not null && (request.Profile?.DataPolicy ?? options.GetDataPolicy()) != DataPolicy.LocalOnly;

    private static bool IsEscalatable(Exception exception, CancellationToken cancellationToken) => exception switch
    {
        OperationCanceledException when cancellationToken.IsCancellationRequested => false,
        ContextWindowExceededException or BackendException => true,
        HybridInferenceException => false, // Our own verdicts (a refused request, an invalid schema) are final.
        _ => true,
    };

    private static List<ChatMessage> BuildConstrainedPrompt(
        IEnumerable<ChatMessage> original, ChatResponse invalid, ChatResponseFormatJson json, IReadOnlyList<JsonSchemaValidationError> errors)
    {
        var prompt = new StringBuilder()
            .AppendLine("Your previous answer did not match the required JSON Schema:");
        for (var i = 0; i < errors.Count && i < Defaults.RetryPromptMaxErrors; i++)
        {
            prompt.Append("- ").AppendLine(errors[i].ToString());
        }

        if (json.Schema is { } schema)
        {
            prompt.Append("The schema: ").AppendLine(schema.GetRawText());
        }

        prompt.Append("Return ONLY valid JSON matching the required schema. No markdown, no explanations.");

        List<ChatMessage> messages = [.. original];
        messages.Add(new ChatMessage(ChatRole.Assistant, invalid.Text));
        messages.Add(new ChatMessage(ChatRole.User, prompt.ToString()));
        return messages;
    }

    private static string Describe(IReadOnlyList<JsonSchemaValidationError> errors) =>
        string.Join("; ", errors.Take(Defaults.RetryPromptMaxErrors));
}
