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
/// <remarks>It also answers <see cref="IBackendHealthProbe"/> through <see cref="GetService"/> with the backend's token-free probe, when it has one.</remarks>
internal sealed class AnthropicErrorMappingChatClient(IChatClient inner, string backend, string? secret, AnthropicHealthProbe? probe = null) : DelegatingChatClient(inner)
{
    private readonly ErrorTextScrubber _scrubber = new(secret);

    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType == typeof(IBackendHealthProbe) && probe is not null ? probe : base.GetService(serviceType, serviceKey);
    }

    /// <summary>What an error status of Anthropic's API means to the chain (Anthropic's 529 "overloaded" is a server error).</summary>
    internal static BackendErrorKind KindOf(HttpStatusCode statusCode) => statusCode switch
    {
        HttpStatusCode.BadRequest or HttpStatusCode.UnprocessableEntity or HttpStatusCode.RequestEntityTooLarge => BackendErrorKind.BadRequest,
        HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden => BackendErrorKind.Unauthorized,
        HttpStatusCode.NotFound => BackendErrorKind.NotFound,
        HttpStatusCode.TooManyRequests => BackendErrorKind.RateLimited,
        HttpStatusCode.RequestTimeout or HttpStatusCode.GatewayTimeout => BackendErrorKind.Timeout,
        _ when (int)statusCode >= 500 => BackendErrorKind.ServerError,
        _ => BackendErrorKind.Unknown,
    };

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
                return new BackendException(KindOf(api.StatusCode), $"Backend '{backend}' answered {status}: {message}", status, innerException: null);
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
        var text = ErrorBodyText(body);
        return ReferenceEquals(text, body) ? message : text;
    }

    /// <summary>An Anthropic error body's type and decoded message (<c>{"type":"error","error":{"type":...,"message":...}}</c>); any other text as it is.</summary>
    internal static string ErrorBodyText(string body)
    {
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
            // Not an error body: the text as it is.
        }

        return body;
    }
}
