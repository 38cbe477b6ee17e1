using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using HybridInference.Scrubbing;

namespace HybridInference.OpenAI.Wire;

/// <summary>
/// Turns what servers send when they fail into the exceptions the chain acts on. Knows the error bodies of the
/// six server families (nested or flat, string or numeric <c>code</c>, TGI's <c>{"error","error_type"}</c>,
/// plain text), the context-length rejections of each (400, 422, 500), and transport failures.
/// </summary>
internal static partial class BackendErrors
{
    /// <summary>Maps an HTTP error response.</summary>
    /// <param name="backend">The backend's name.</param>
    /// <param name="status">The HTTP status.</param>
    /// <param name="retryAfterHeader">The <c>Retry-After</c> header, if any.</param>
    /// <param name="body">The error body.</param>
    /// <param name="secret">The backend's API key, removed from the message in any form the server echoes it.</param>
    /// <param name="request">The request body sent, whose texts are removed from the message; none for probes.</param>
    public static Exception FromResponse(string backend, int status, string? retryAfterHeader, BinaryData body, string? secret, BinaryData? request = null) =>
        FromResponse(backend, status, retryAfterHeader, body, secret, request is null ? null : RequestTexts.FromJsonBody(request.ToMemory()));

    /// <summary>Maps an HTTP error response to a request whose body a library wrote (the texts come from the chat request itself).</summary>
    /// <param name="backend">The backend's name.</param>
    /// <param name="status">The HTTP status.</param>
    /// <param name="retryAfterHeader">The <c>Retry-After</c> header, if any.</param>
    /// <param name="body">The error body.</param>
    /// <param name="secret">The backend's API key, removed from the message in any form the server echoes it.</param>
    /// <param name="requestTexts">The texts the request sent (<see cref="RequestTexts"/>), removed from the message; none for probes.</param>
    public static Exception FromResponse(string backend, int status, string? retryAfterHeader, BinaryData body, string? secret, IReadOnlyList<string>? requestTexts)
    {
        var error = ReadBody(body);
        var message = string.IsNullOrWhiteSpace(error.Message) ? $"HTTP {status}" : error.Message;

        // What the error is, is read from the server's own words; what the exception says is scrubbed.
        return Classify(backend, status, message, ErrorTextScrubber.For(secret).Scrub(message, requestTexts), error, RetryAfter(retryAfterHeader, message));
    }

    /// <summary>Describes a backend's timeout for the message of a timeout: its value and where it is set.</summary>
    /// <param name="timeout">The timeout.</param>
    /// <param name="setting">Where it is set (a configuration entry, or an option in code).</param>
    public static string DescribeTimeout(TimeSpan timeout, string setting) => Http.SettingText.Timeout(timeout, setting);

    /// <summary>Maps an <c>{"error": ...}</c> event sent inside a 200 stream.</summary>
    public static Exception FromStreamEvent(string backend, JsonElement root, string? secret, BinaryData? request = null) =>
        FromStreamEvent(backend, root, secret, request is null ? null : RequestTexts.FromJsonBody(request.ToMemory()));

    /// <summary>Maps an <c>{"error": ...}</c> event sent inside a 200 stream to a request whose body a library wrote.</summary>
    /// <param name="backend">The backend's name.</param>
    /// <param name="root">The event's JSON.</param>
    /// <param name="secret">The backend's API key, removed from the message.</param>
    /// <param name="requestTexts">The texts the request sent (<see cref="RequestTexts"/>), removed from the message.</param>
    public static Exception FromStreamEvent(string backend, JsonElement root, string? secret, IReadOnlyList<string>? requestTexts)
    {
        var error = ReadError(root);
        var (message, type, code) = (error.Message, error.Type, error.Code);
        var status = code is not null && int.TryParse(code, NumberStyles.Integer, CultureInfo.InvariantCulture, out var numeric) ? numeric
            : root.TryGetProperty("error"u8, out var inner) && inner.ValueKind == JsonValueKind.Object && inner.TryGetProperty("http_status_code"u8, out var http) && http.TryGetInt32(out var s) ? s
            : (int?)null;
        message ??= "error event in the stream";
        var text = ErrorTextScrubber.For(secret).Scrub(message, requestTexts);
        if (IsContextLength(message, type, code))
        {
            var (required, window) = ContextSizes.Read(message, error.PromptTokens, error.ContextWindow);
            return new ContextWindowExceededException($"Backend '{backend}' rejected the prompt as too long for its context window: {text}", required, window);
        }

        return new BackendException(BackendErrorKind.StreamError, $"Backend '{backend}' reported an error inside its stream{(status is null ? string.Empty : $" ({status})")}: {text}", status);
    }

    /// <summary>Maps a failure to reach the server or to read its answer.</summary>
    /// <param name="backend">The backend's name.</param>
    /// <param name="exception">The failure.</param>
    /// <param name="midStream">Whether the answer's stream had begun.</param>
    /// <param name="secret">The backend's key, scrubbed from the text.</param>
    /// <param name="timeout">The backend's timeout and where it is set, named in a timeout's message (the SDK's own words name its option, not the user's setting).</param>
    public static Exception FromTransport(string backend, Exception exception, bool midStream, string? secret, string? timeout = null)
    {
        if (exception is AggregateException { InnerExceptions.Count: > 0 } retries)
        {
            exception = retries.InnerExceptions[^1]; // The SDK's retry wraps every try; the last one says what is wrong now.
        }

        var detail = Scrub(Innermost(exception).Message, secret);
        // A cancellation that is not the caller's is the client's own timeout, mid-stream too (a read that waited past
        // the backend's Timeout): the server went silent, it did not hang up.
        if (exception is TimeoutException || exception.InnerException is TimeoutException || exception is OperationCanceledException)
        {
            return new BackendException(
                BackendErrorKind.Timeout,
                timeout is null
                    ? $"Backend '{backend}' did not answer in time: {detail}"
                    : $"Backend '{backend}' did not answer within its timeout ({timeout}){(midStream ? " while streaming" : string.Empty)}; raise it there for a slow server.",
                // The SDK's own cancellation names its option (ClientPipelineOptions.NetworkTimeout), not the user's
                // setting: its cause is kept, its advice is not.
                innerException: timeout is not null && exception is OperationCanceledException { InnerException: { } cause } ? cause : exception);
        }

        if (midStream)
        {
            return new BackendException(BackendErrorKind.Disconnected, $"Backend '{backend}' ended its stream before it was complete: {detail}", innerException: exception);
        }

        return new BackendException(BackendErrorKind.Unavailable, $"Backend '{backend}' could not be reached: {detail}", innerException: exception);
    }

    /// <summary>Tells whether an exception is a transport failure (as opposed to a bug or a cancellation by the caller).</summary>
    public static bool IsTransport(Exception exception) => exception switch
    {
        AggregateException aggregate => aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(IsTransport),
        _ => exception is HttpRequestException or IOException or SocketException or TimeoutException or OperationCanceledException or System.ClientModel.ClientResultException,
    };

    /// <summary>Maps an error from the server's own <paramref name="message"/>; the exception carries <paramref name="text"/>, the scrubbed one.</summary>
    private static Exception Classify(string backend, int status, string message, string text, ErrorBody error, TimeSpan? retryAfter)
    {
        var (type, code) = (error.Type, error.Code);
        if (IsContextLength(message, type, code))
        {
            var (required, window) = ContextSizes.Read(message, error.PromptTokens, error.ContextWindow);
            return new ContextWindowExceededException($"Backend '{backend}' rejected the prompt as too long for its context window ({status}): {text}", required, window);
        }

        var kind = status switch
        {
            400 or 413 or 422 => BackendErrorKind.BadRequest,
            401 or 403 => BackendErrorKind.Unauthorized,
            404 => BackendErrorKind.NotFound,
            408 or 504 => BackendErrorKind.Timeout,
            429 => BackendErrorKind.RateLimited,
            503 when IsLoading(message, type, code) => BackendErrorKind.ModelLoading,
            >= 500 => BackendErrorKind.ServerError,
            _ => BackendErrorKind.Unknown,
        };
        return new BackendException(kind, $"Backend '{backend}' answered {status} ({Describe(kind)}): {text}", status, retryAfter);
    }

    /// <summary>
    /// Tells whether an error body says the server could not parse the model's own output into a message: llama.cpp's
    /// chat parser throws <c>The model produced output that does not match the expected &lt;format&gt; format</c>
    /// (<c>peg-native</c>, <c>peg-simple</c>, <c>peg-gemma4</c>, <c>Content-only</c>, ...; HTTP 500,
    /// <c>server_error</c>), older builds <c>Failed to parse input at pos N</c>. For a grammar-constrained JSON answer
    /// that happens only when the output stopped before the grammar was complete: the answer was cut off.
    /// </summary>
    /// <param name="status">The HTTP status.</param>
    /// <param name="body">The error body.</param>
    public static bool IsUnparsedOutput(int status, BinaryData body) =>
        status >= 500 && ReadBody(body).Message is { } message && UnparsedOutputText().IsMatch(message);

    private static ErrorBody ReadBody(BinaryData body)
    {
        var memory = body.ToMemory();
        if (memory.IsEmpty)
        {
            return default;
        }

        try
        {
            using var document = JsonDocument.Parse(memory);
            return ReadError(document.RootElement);
        }
        catch (JsonException)
        {
            // TGI's JSON-extraction failures and some proxies answer in plain text.
            return new(Encoding.UTF8.GetString(memory.Span), null, null);
        }
    }

    private static ErrorBody ReadError(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return new(root.GetRawText(), null, null);
        }

        if (root.TryGetProperty("error"u8, out var error))
        {
            if (error.ValueKind == JsonValueKind.String)
            {
                // TGI: {"error": "<text>", "error_type": "validation"}
                return new(error.GetString(), Text(root, "error_type"u8), null);
            }

            if (error.ValueKind == JsonValueKind.Object)
            {
                // llama.cpp's exceed_context_size_error adds the sizes: "n_prompt_tokens" and "n_ctx" (the slot's window).
                return new(Text(error, "message"u8), Text(error, "type"u8), Text(error, "code"u8), Count(error, "n_prompt_tokens"u8), Count(error, "n_ctx"u8));
            }
        }

        // Legacy vLLM: {"object": "error", "message": ..., "type": ..., "code": 400}
        // LocalAI's readiness: {"reason": "startup preload in progress", "status": "starting"}
        return new(Text(root, "message"u8) ?? Text(root, "detail"u8) ?? Text(root, "reason"u8), Text(root, "type"u8), Text(root, "code"u8));
    }

    private static int? Count(JsonElement element, ReadOnlySpan<byte> name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out var count) && count > 0 ? count : null;

    private static string? Text(JsonElement element, ReadOnlySpan<byte> name) =>
        element.TryGetProperty(name, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Number => value.GetRawText(),
                _ => null,
            }
            : null;

    private static bool IsContextLength(string message, string? type, string? code) =>
        type is "exceed_context_size_error" || code is "context_length_exceeded" || ContextLengthText().IsMatch(message);

    private static bool IsLoading(string message, string? type, string? code) =>
        type is "model_loading" or "unavailable_error" || code is "model_loading" || message.Contains("loading", StringComparison.OrdinalIgnoreCase);

    private static TimeSpan? RetryAfter(string? header, string message)
    {
        if (header is not null)
        {
            // Servers here send seconds; the HTTP-date form would need the clock and is left to the kind (RateLimited).
            if (int.TryParse(header, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds) && seconds >= 0)
            {
                return TimeSpan.FromSeconds(seconds);
            }
        }

        // OpenAI says it in the message: "Please try again in 5.352s."
        var match = TryAgainText().Match(message);
        return match.Success && double.TryParse(match.Groups[1].Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var hint)
            ? TimeSpan.FromSeconds(hint)
            : null;
    }

    private static string Describe(BackendErrorKind kind) => kind switch
    {
        BackendErrorKind.BadRequest => "bad request",
        BackendErrorKind.Unauthorized => "unauthorized",
        BackendErrorKind.NotFound => "not found",
        BackendErrorKind.Timeout => "timeout",
        BackendErrorKind.RateLimited => "rate limited",
        BackendErrorKind.ModelLoading => "model loading",
        BackendErrorKind.ServerError => "server error",
        _ => "error",
    };

    private static Exception Innermost(Exception exception)
    {
        while (exception.InnerException is not null)
        {
            exception = exception.InnerException;
        }

        return exception;
    }

    /// <summary>
    /// Removes from a server's message the API key, in any form the server might echo it, and the request's own text
    /// (some servers quote the prompt, a tool result or the schema in their errors), and shortens it; the message then
    /// reaches exceptions, logs and status clean.
    /// </summary>
    private static string Scrub(string message, string? secret, BinaryData? request = null) =>
        ErrorTextScrubber.For(secret).Scrub(message, request is null ? null : RequestTexts.FromJsonBody(request.ToMemory()));

    [GeneratedRegex(@"maximum context length|exceeds the available context size|context window|context_length_exceeded|too large:.*maximum context length|must be <= \d+|must have less than \d+ tokens|prompt is too long", RegexOptions.IgnoreCase)]
    private static partial Regex ContextLengthText();

    [GeneratedRegex(@"does not match the expected \S.{0,40} format|Failed to parse input at pos \d+", RegexOptions.IgnoreCase)]
    private static partial Regex UnparsedOutputText();

    [GeneratedRegex(@"try again in (\d+(?:\.\d+)?)s", RegexOptions.IgnoreCase)]
    private static partial Regex TryAgainText();

    /// <summary>What an error body says: its message, type and code, and the sizes of a context-length rejection where the server gives them as fields.</summary>
    private readonly record struct ErrorBody(string? Message, string? Type, string? Code, int? PromptTokens = null, int? ContextWindow = null);
}
