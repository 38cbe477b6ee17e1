using System.Net;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Anthropic.Exceptions;
using HybridInference.Scrubbing;
using Microsoft.Extensions.AI;

namespace HybridInference.Anthropic;

/// <summary>
/// Turns the Anthropic SDK's exceptions into the failures the hybrid chain acts on, with the key (in any form the
/// server echoes it) and the request's own text (instructions, messages, tool calls and results, tools, schema)
/// removed from their messages.
/// </summary>
internal sealed class AnthropicErrorMappingChatClient(IChatClient inner, string backend, string? secret) : DelegatingChatClient(inner)
{
    private readonly ErrorTextScrubber _scrubber = new(secret);

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        try
        {
            return await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }
        catch (AnthropicException ex)
        {
            throw Map(ex, midStream: false, messages, options);
        }
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var updates = base.GetStreamingResponseAsync(messages, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
        var started = false;
        try
        {
            while (true)
            {
                try
                {
                    if (!await updates.MoveNextAsync().ConfigureAwait(false))
                    {
                        yield break;
                    }
                }
                catch (AnthropicException ex)
                {
                    throw Map(ex, started, messages, options);
                }

                started = true;
                yield return updates.Current;
            }
        }
        finally
        {
            await updates.DisposeAsync().ConfigureAwait(false);
        }
    }

    private Exception Map(AnthropicException exception, bool midStream, IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        // The SDK's exception may carry the response body: what the exception says is scrubbed; what it is, is read from the server's words.
        var message = _scrubber.Scrub(ServerText(exception), RequestTexts.FromChat(messages, options));
        switch (exception)
        {
            case AnthropicApiException api when exception.Message.Contains("prompt is too long", StringComparison.OrdinalIgnoreCase):
                return new ContextWindowExceededException($"Backend '{backend}' rejected the prompt as too long for its context window ({(int)api.StatusCode}): {message}");
            case AnthropicApiException api:
                var status = (int)api.StatusCode;
                var kind = api.StatusCode switch
                {
                    HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity or HttpStatusCode.RequestEntityTooLarge => BackendErrorKind.BadRequest,
                    HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => BackendErrorKind.Unauthorized,
                    HttpStatusCode.NotFound => BackendErrorKind.NotFound,
                    HttpStatusCode.TooManyRequests => BackendErrorKind.RateLimited,
                    HttpStatusCode.RequestTimeout or HttpStatusCode.GatewayTimeout => BackendErrorKind.Timeout,
                    _ when status >= 500 => BackendErrorKind.ServerError, // Anthropic's 529 "overloaded" included.
                    _ => BackendErrorKind.Unknown,
                };
                return new BackendException(kind, $"Backend '{backend}' answered {status}: {message}", status, innerException: null);
            case AnthropicSseException:
                return new BackendException(BackendErrorKind.StreamError, $"Backend '{backend}' reported an error inside its stream: {message}");
            case AnthropicIOException:
                return new BackendException(midStream ? BackendErrorKind.Disconnected : BackendErrorKind.Unavailable, $"Backend '{backend}' could not be reached: {message}");
            case AnthropicInvalidDataException:
                return new BackendException(BackendErrorKind.MalformedResponse, $"Backend '{backend}' answered with data that is not a message: {message}");
            default:
                return new BackendException(BackendErrorKind.Unknown, $"Backend '{backend}' failed: {message}");
        }
    }

    /// <summary>
    /// The server's own words: the SDK's message is <c>Status Code: &lt;n&gt;</c> and the raw response body, whose JSON
    /// escapes would hide an echo from the scrubber; an Anthropic error body gives its type and decoded message.
    /// </summary>
    private static string ServerText(AnthropicException exception)
    {
        var message = exception.Message;
        var newline = message.IndexOf('\n', StringComparison.Ordinal);
        var body = newline >= 0 && message.StartsWith("Status Code:", StringComparison.Ordinal) ? message[(newline + 1)..] : message;
        try
        {
            using var document = JsonDocument.Parse(body);
            if (document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("error"u8, out var error) && error.ValueKind == JsonValueKind.Object
                && error.TryGetProperty("message"u8, out var text) && text.ValueKind == JsonValueKind.String)
            {
                return error.TryGetProperty("type"u8, out var type) && type.ValueKind == JsonValueKind.String
                    ? $"{type.GetString()}: {text.GetString()}"
                    : text.GetString()!;
            }
        }
        catch (JsonException)
        {
            // Not an error body: the message as it is.
        }

        return message;
    }
}
