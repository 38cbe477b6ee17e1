using System.Runtime.CompilerServices;
using HybridInference.Fallback;
using HybridInference.Internal;
using HybridInference.Telemetry;
using Microsoft.Extensions.AI;

namespace HybridInference.Validation;

/// <summary>
/// Checks every answer to a JSON request against the request's JSON Schema, at the end of a lane (just above its
/// pool), so each attempt is checked once, wherever it ran. A valid answer passes on (with the JSON extracted from a
/// code fence or prose around it, when that is allowed); an invalid one is a typed failure,
/// <see cref="OutputValidationException"/>, which the lane's breaker counts and the local lane's fallback retries
/// and escalates on.
/// </summary>
/// <remarks>
/// Requests without a JSON response format pass through untouched (a type check). A JSON stream is buffered: the answer is
/// fetched whole, checked, and replayed as updates, so the caller never sees invalid output. A schema that cannot be
/// used fails the request before any backend is called.
/// </remarks>
internal sealed class JsonValidationChatClient : DelegatingChatClient
{
    private readonly IJsonSchemaValidator _validator;
    private readonly HybridInferenceMetrics _metrics;
    private readonly BackendLane _lane;
    private readonly bool _extractJson;

    /// <summary>Initializes a new instance of the <see cref="JsonValidationChatClient"/> class.</summary>
    /// <param name="innerClient">The lane's pool.</param>
    /// <param name="validator">The schema validator.</param>
    /// <param name="extractJson">Whether JSON is extracted from a code fence or prose around it before validation.</param>
    /// <param name="metrics">Where validation failures and extractions are counted.</param>
    /// <param name="lane">The lane, for the error's words.</param>
    public JsonValidationChatClient(IChatClient innerClient, IJsonSchemaValidator validator, bool extractJson, HybridInferenceMetrics metrics, BackendLane lane)
        : base(innerClient)
    {
        ArgumentNullException.ThrowIfNull(validator);
        ArgumentNullException.ThrowIfNull(metrics);
        _validator = validator;
        _extractJson = extractJson;
        _metrics = metrics;
        _lane = lane;
    }

    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        options?.ResponseFormat is ChatResponseFormatJson json
            ? GetCheckedResponseAsync(json, messages, options, cancellationToken)
            : base.GetResponseAsync(messages, options, cancellationToken);

    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        options?.ResponseFormat is ChatResponseFormatJson json
            ? GetCheckedStreamAsync(json, messages, options, cancellationToken)
            : base.GetStreamingResponseAsync(messages, options, cancellationToken);

    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType == typeof(IJsonSchemaValidator) ? _validator : base.GetService(serviceType, serviceKey);
    }

    private async Task<ChatResponse> GetCheckedResponseAsync(ChatResponseFormatJson json, IEnumerable<ChatMessage> messages, ChatOptions options, CancellationToken cancellationToken)
    {
        Prepare(json);
        var response = await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        return Check(json, response, options, cancellationToken);
    }

    private async IAsyncEnumerable<ChatResponseUpdate> GetCheckedStreamAsync(
        ChatResponseFormatJson json, IEnumerable<ChatMessage> messages, ChatOptions options, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        // Fetched whole, checked, then replayed: the caller never sees invalid output, and the lane's retry and
        // escalation stay possible until the answer is known to be good.
        var response = await GetCheckedResponseAsync(json, messages, options, cancellationToken).ConfigureAwait(false);
        foreach (var update in response.ToChatResponseUpdates())
        {
            yield return update;
        }
    }

    /// <summary>Fails the request now, before any model is asked, when its schema cannot be used.</summary>
    private void Prepare(ChatResponseFormatJson json)
    {
        if (json.Schema is { } schema)
        {
            _validator.PrepareSchema(schema);
        }
    }

    private ChatResponse Check(ChatResponseFormatJson json, ChatResponse response, ChatOptions options, CancellationToken cancellationToken)
    {
        var check = ResponseValidation.Check(_validator, json.Schema, response, _extractJson, cancellationToken);
        var state = RequestState.Find(options);
        var backend = state?.Attempts.LastBackend?.Name ?? "unknown";
        if (check.ExtractedJson is not null)
        {
            _metrics.RecordJsonExtraction(backend);
        }

        if (check.IsValid)
        {
            return ResponseValidation.WithJson(response, check.ExtractedJson);
        }

        state?.AddValidationFailure();
        _metrics.RecordValidationFailure(backend, check.Reason);
        var errors = check.Result.Errors!;
        throw new OutputValidationException(
            $"The {HybridInferenceTelemetry.ToTag(_lane)} answer of backend '{backend}' failed JSON Schema validation ({ResponseValidation.Describe(check.Reason)}): {ResponseValidation.Describe(errors)}",
            errors,
            response,
            check.Reason);
    }
}
