using System.Globalization;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace HybridInference.OpenAI.Wire;

/// <summary>
/// Turns what servers send when they fail into the exceptions the chain acts on. Knows the error bodies of the
/// six server families (nested or flat, string or numeric <c>code</c>, TGI's <c>{"error","error_type"}</c>,
/// plain text), the context-length rejections of each (400, 422, 500), and transport failures.
/// </summary>
internal static partial class BackendErrors
{
    private const int MaxMessageLength = 400;

    /// <summary>How much of a prompt must appear in a server's message to count as an echo of it.</summary>
    private const int MinEchoLength = 16;

    /// <summary>How much of a server's message is searched for echoes of the prompt (an echo shrinks to a placeholder, so more than is shown).</summary>
    private const int MaxSearchedLength = 64 * 1024;

    /// <summary>An odd base for the rolling hash that finds echoes.</summary>
    private const ulong HashBase = 1_000_003;

    /// <summary><see cref="HashBase"/> to the power <see cref="MinEchoLength"/> - 1: the weight of a window's first character.</summary>
    private static readonly ulong LeadingPower = Power(HashBase, MinEchoLength - 1);

    /// <summary>Maps an HTTP error response.</summary>
    public static Exception FromResponse(string backend, int status, string? retryAfterHeader, BinaryData body, string? secret, IReadOnlyList<string>? prompt = null)
    {
        var (message, type, code) = ReadBody(body);
        message = string.IsNullOrWhiteSpace(message) ? $"HTTP {status}" : message;

        // What the error is, is read from the server's own words; what the exception says is scrubbed.
        return Classify(backend, status, message, Scrub(message, secret, prompt), type, code, RetryAfter(retryAfterHeader, message));
    }

    /// <summary>Maps an <c>{"error": ...}</c> event sent inside a 200 stream.</summary>
    public static Exception FromStreamEvent(string backend, JsonElement root, string? secret, IReadOnlyList<string>? prompt = null)
    {
        var (message, type, code) = ReadError(root);
        var status = code is not null && int.TryParse(code, NumberStyles.Integer, CultureInfo.InvariantCulture, out var numeric) ? numeric
            : root.TryGetProperty("error"u8, out var error) && error.ValueKind == JsonValueKind.Object && error.TryGetProperty("http_status_code"u8, out var http) && http.TryGetInt32(out var s) ? s
            : (int?)null;
        message ??= "error event in the stream";
        var text = Scrub(message, secret, prompt);
        if (IsContextLength(message, type, code))
        {
            return new ContextWindowExceededException($"Backend '{backend}' rejected the prompt as too long for its context window: {text}");
        }

        return new BackendException(BackendErrorKind.StreamError, $"Backend '{backend}' reported an error inside its stream{(status is null ? string.Empty : $" ({status})")}: {text}", status);
    }

    /// <summary>Maps a failure to reach the server or to read its answer.</summary>
    public static Exception FromTransport(string backend, Exception exception, bool midStream, string? secret)
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
            return new BackendException(BackendErrorKind.Timeout, $"Backend '{backend}' did not answer in time: {detail}", innerException: exception);
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
    private static Exception Classify(string backend, int status, string message, string text, string? type, string? code, TimeSpan? retryAfter)
    {
        if (IsContextLength(message, type, code))
        {
            return new ContextWindowExceededException($"Backend '{backend}' rejected the prompt as too long for its context window ({status}): {text}");
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

    private static (string? Message, string? Type, string? Code) ReadBody(BinaryData body)
    {
        var memory = body.ToMemory();
        if (memory.IsEmpty)
        {
            return (null, null, null);
        }

        try
        {
            using var document = JsonDocument.Parse(memory);
            return ReadError(document.RootElement);
        }
        catch (JsonException)
        {
            // TGI's JSON-extraction failures and some proxies answer in plain text.
            return (Encoding.UTF8.GetString(memory.Span), null, null);
        }
    }

    private static (string? Message, string? Type, string? Code) ReadError(JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object)
        {
            return (root.GetRawText(), null, null);
        }

        if (root.TryGetProperty("error"u8, out var error))
        {
            if (error.ValueKind == JsonValueKind.String)
            {
                // TGI: {"error": "<text>", "error_type": "validation"}
                return (error.GetString(), Text(root, "error_type"u8), null);
            }

            if (error.ValueKind == JsonValueKind.Object)
            {
                return (Text(error, "message"u8), Text(error, "type"u8), Text(error, "code"u8));
            }
        }

        // Legacy vLLM: {"object": "error", "message": ..., "type": ..., "code": 400}
        // LocalAI's readiness: {"reason": "startup preload in progress", "status": "starting"}
        return (Text(root, "message"u8) ?? Text(root, "detail"u8) ?? Text(root, "reason"u8), Text(root, "type"u8), Text(root, "code"u8));
    }

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

    /// <summary>The texts of a request's messages that a server might echo in an error: those long enough to be recognised.</summary>
    public static IReadOnlyList<string> PromptTexts(IEnumerable<Microsoft.Extensions.AI.ChatMessage> messages)
    {
        List<string>? texts = null;
        foreach (var message in messages)
        {
            foreach (var content in message.Contents)
            {
                if (content is Microsoft.Extensions.AI.TextContent { Text.Length: >= MinEchoLength } text)
                {
                    (texts ??= []).Add(text.Text);
                }
            }
        }

        return texts ?? (IReadOnlyList<string>)[];
    }

    /// <summary>
    /// Shortens a server's message and removes from it the API key and the request's own text, should the server have
    /// echoed them (some servers quote the prompt in their errors); the message then reaches exceptions and logs clean.
    /// </summary>
    private static string Scrub(string message, string? secret, IReadOnlyList<string>? prompt = null)
    {
        if (!string.IsNullOrEmpty(secret))
        {
            message = message.Replace(secret, "***", StringComparison.Ordinal);
        }

        if (prompt is { Count: > 0 })
        {
            // Only the start of a huge message can show after the cut below, so only the start is searched.
            message = RemoveEchoes(message.Length <= MaxSearchedLength ? message : message[..MaxSearchedLength], prompt);
        }

        return message.Length <= MaxMessageLength ? message : string.Concat(message.AsSpan(0, MaxMessageLength - 3), "...");
    }

    /// <summary>
    /// Replaces every stretch of <paramref name="message"/> that also stands in one of the prompt's texts, at least
    /// <see cref="MinEchoLength"/> characters long, with <c>[prompt text]</c>: a whole quote, its start, or a fragment
    /// from its middle alike.
    /// </summary>
    /// <remarks>
    /// Rabin–Karp over windows of <see cref="MinEchoLength"/> characters: the message's windows are hashed once, each
    /// prompt text is rolled over once, and every hash hit is compared character by character, so the work is linear
    /// in the two lengths (the message comes from an error body, the prompt may be long).
    /// </remarks>
    private static string RemoveEchoes(string message, IReadOnlyList<string> prompt)
    {
        const int Window = MinEchoLength;
        if (message.Length < Window)
        {
            return message;
        }

        // Message windows by hash; equal hashes chain through `next`.
        var count = message.Length - Window + 1;
        var first = new Dictionary<ulong, int>(count);
        var next = new int[count];
        var hash = Hash(message.AsSpan(0, Window));
        for (var i = 0; ; i++)
        {
            next[i] = first.TryGetValue(hash, out var head) ? head : -1;
            first[hash] = i;
            if (i + 1 == count)
            {
                break;
            }

            hash = Roll(hash, message[i], message[i + Window]);
        }

        var echoed = new bool[message.Length];
        var found = false;
        foreach (var text in prompt)
        {
            if (text.Length < Window)
            {
                continue;
            }

            hash = Hash(text.AsSpan(0, Window));
            for (var j = 0; ; j++)
            {
                if (first.TryGetValue(hash, out var at))
                {
                    // Once every message window with this hash has proved an echo, the chain is done with.
                    var settled = true;
                    for (; at >= 0; at = next[at])
                    {
                        if (message.AsSpan(at, Window).SequenceEqual(text.AsSpan(j, Window)))
                        {
                            echoed.AsSpan(at, Window).Fill(true);
                            found = true;
                        }
                        else
                        {
                            settled = false; // A collision: a later window of the prompt may still match it.
                        }
                    }

                    if (settled)
                    {
                        first.Remove(hash);
                    }
                }

                if (j + Window == text.Length || first.Count == 0)
                {
                    break;
                }

                hash = Roll(hash, text[j], text[j + Window]);
            }
        }

        if (!found)
        {
            return message;
        }

        var scrubbed = new StringBuilder(message.Length);
        for (var i = 0; i < message.Length; i++)
        {
            if (!echoed[i])
            {
                scrubbed.Append(message[i]);
            }
            else if (i == 0 || !echoed[i - 1])
            {
                scrubbed.Append("[prompt text]");
            }
        }

        return scrubbed.ToString();
    }

    /// <summary>The polynomial hash of one window (base <see cref="HashBase"/>, modulo 2^64).</summary>
    private static ulong Hash(ReadOnlySpan<char> window)
    {
        ulong hash = 0;
        foreach (var c in window)
        {
            hash = (hash * HashBase) + c;
        }

        return hash;
    }

    /// <summary>Moves a window's hash one character on: <paramref name="leaving"/> drops out, <paramref name="entering"/> comes in.</summary>
    private static ulong Roll(ulong hash, char leaving, char entering) => ((hash - (leaving * LeadingPower)) * HashBase) + entering;

    private static ulong Power(ulong value, int exponent)
    {
        ulong result = 1;
        for (var i = 0; i < exponent; i++)
        {
            result *= value;
        }

        return result;
    }

    [GeneratedRegex(@"maximum context length|exceeds the available context size|context window|context_length_exceeded|too large:.*maximum context length|must be <= \d+|must have less than \d+ tokens|prompt is too long", RegexOptions.IgnoreCase)]
    private static partial Regex ContextLengthText();

    [GeneratedRegex(@"try again in (\d+(?:\.\d+)?)s", RegexOptions.IgnoreCase)]
    private static partial Regex TryAgainText();
}
