using System.ClientModel;
using System.ClientModel.Primitives;
using System.Runtime.CompilerServices;
using System.Text.Json;
using HybridInference.OpenAI.Wire;
using HybridInference.Scrubbing;
using Microsoft.Extensions.AI;
using StreamingChatCompletionUpdate = OpenAI.Chat.StreamingChatCompletionUpdate;

namespace HybridInference.OpenAI;

/// <summary>
/// Turns the failures of Microsoft.Extensions.AI.OpenAI's client (the OpenAI SDK's <see cref="ClientResultException"/>,
/// transport and timeout errors, unreadable answers) into the failures the hybrid chain acts on, with the same
/// <see cref="BackendErrorKind"/>s the library's own wire code gives the same HTTP answers, and the key (in any form
/// the server echoes it) and the request's own text removed from their messages.
/// </summary>
/// <remarks>
/// <para>
/// An HTTP error is read from the raw response the SDK keeps (status, <c>Retry-After</c>, the error body), not from
/// the SDK's message, which quotes the body unscrubbed. A stream is mapped before its first update (the request is
/// sent on the first read) and while it runs: a connection cut mid-way, or a stream that ends without a finish
/// reason, is <see cref="BackendErrorKind.Disconnected"/>; an <c>{"error": ...}</c> event inside a 200 stream is
/// <see cref="BackendErrorKind.StreamError"/> (or <see cref="ContextWindowExceededException"/>). A body the SDK cannot
/// read after a 2xx is <see cref="BackendErrorKind.MalformedResponse"/>. A cancellation by the caller stays a
/// cancellation, and errors in the request itself stay the caller's: content the package would leave out of the
/// request without a word is refused with <see cref="NotSupportedException"/> before anything is sent.
/// </para>
/// <para>
/// It also answers <see cref="ChatClientMetadata"/> (provider <c>openai</c>, the endpoint without secrets, the model)
/// and <see cref="IBackendHealthProbe"/> (the token-free probe, which the package has no call for). Thread-safe.
/// </para>
/// </remarks>
internal sealed class OpenAIErrorMappingChatClient : DelegatingChatClient
{
    private readonly string _backend;
    private readonly string? _secret;
    private readonly string _timeout;
    private readonly ChatClientMetadata _metadata;
    private readonly IBackendHealthProbe? _probe;

    /// <summary>Initializes a new instance of the <see cref="OpenAIErrorMappingChatClient"/> class.</summary>
    /// <param name="inner">The client of Microsoft.Extensions.AI.OpenAI (<c>ChatClient.AsIChatClient()</c>).</param>
    /// <param name="backend">The backend's name, for messages.</param>
    /// <param name="secret">The API key, removed from every message.</param>
    /// <param name="timeout">The backend's timeout and where it is set (<see cref="BackendErrors.DescribeTimeout"/>), named in a timeout's message.</param>
    /// <param name="metadata">What <see cref="GetService"/> answers for <see cref="ChatClientMetadata"/>.</param>
    /// <param name="probe">The backend's health probe, or <see langword="null"/> for none.</param>
    public OpenAIErrorMappingChatClient(IChatClient inner, string backend, string? secret, string timeout, ChatClientMetadata metadata, IBackendHealthProbe? probe)
        : base(inner)
    {
        _backend = backend;
        _secret = string.IsNullOrEmpty(secret) ? null : secret;
        _timeout = timeout;
        _metadata = metadata;
        _probe = probe;
    }

    /// <inheritdoc />
    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ThrowIfUnsendable(messages, options);
        var answered = AnswerSeenPolicy.Begin();
        try
        {
            return await base.GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (IsBackendFailure(ex, answered.Value, cancellationToken))
        {
            throw Map(ex, midStream: false, answered.Value, messages, options);
        }
    }

    /// <inheritdoc />
    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ThrowIfUnsendable(messages, options);
        var answered = AnswerSeenPolicy.Begin();
        var updates = base.GetStreamingResponseAsync(messages, options, cancellationToken).GetAsyncEnumerator(cancellationToken);

        var finished = false;
        try
        {
            while (true)
            {
                try
                {
                    if (!await updates.MoveNextAsync().ConfigureAwait(false))
                    {
                        break;
                    }
                }
                catch (Exception ex) when (IsBackendFailure(ex, answered.Value, cancellationToken))
                {
                    // The request goes out on the first read: an HTTP error or a refused connection comes as a
                    // ClientResultException; a failure after a 200 means the answer's body had begun.
                    throw Map(ex, midStream: answered.Value, answered.Value, messages, options);
                }

                var update = updates.Current;
                if (update.ResponseId is null && update.Contents.Count == 0 && update.RawRepresentation is StreamingChatCompletionUpdate raw)
                {
                    // No id and nothing in it: an {"error": ...} event, which the SDK reads as an empty update.
                    ThrowIfErrorEvent(raw, messages, options);
                }

                finished |= update.FinishReason is not null;
                yield return update;
            }
        }
        finally
        {
            await updates.DisposeAsync().ConfigureAwait(false);
        }

        if (!finished)
        {
            // The SDK ends quietly when the connection closes early; OpenAI always sends a finish reason before [DONE].
            throw new BackendException(BackendErrorKind.Disconnected, $"Backend '{_backend}' ended its stream before it was complete (no finish reason).");
        }
    }

    /// <summary>
    /// Refuses, before anything is sent, content that Microsoft.Extensions.AI.OpenAI would leave out of the request
    /// without a word (an attachment of a type chat completions cannot take, a tool that is not a function), the way
    /// the own wire code refuses what it cannot write: nothing the caller sent is silently dropped.
    /// </summary>
    /// <exception cref="NotSupportedException">A message holds such content, or a tool is not a function.</exception>
    private void ThrowIfUnsendable(IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        ArgumentNullException.ThrowIfNull(messages);
        foreach (var message in messages)
        {
            foreach (var content in message.Contents)
            {
                if (!IsSendable(content))
                {
                    throw new NotSupportedException(
                        $"A {message.Role} message holds {content.GetType().Name} content ({(content as DataContent)?.MediaType ?? (content as UriContent)?.MediaType ?? "unknown type"}), which OpenAI's chat completions cannot take (backend '{_backend}'); send text, images, PDF or WAV/MP3 audio. Nothing was sent.");
                }
            }
        }

        if (options?.Tools is { Count: > 0 } tools)
        {
            foreach (var tool in tools)
            {
                if (tool is not AIFunctionDeclaration)
                {
                    throw new NotSupportedException($"Tool '{tool.Name}' ({tool.GetType().Name}) is not a function; OpenAI's chat completions take only function tools (backend '{_backend}'). Nothing was sent.");
                }
            }
        }
    }

    /// <summary>Whether Microsoft.Extensions.AI.OpenAI writes the content into a chat completions request (reasoning text it leaves out, as the own wire code does: it is the model's, not the caller's).</summary>
    private static bool IsSendable(AIContent content) => content switch
    {
        TextContent or TextReasoningContent or FunctionCallContent or FunctionResultContent or HostedFileContent => true,
        DataContent data => data.HasTopLevelMediaType("image") || IsMediaType(data.MediaType, "application/pdf") || IsMediaType(data.MediaType, "audio/wav") || IsMediaType(data.MediaType, "audio/mpeg"),
        UriContent uri => uri.HasTopLevelMediaType("image"),
        _ => content.RawRepresentation is global::OpenAI.Chat.ChatMessageContentPart,
    };

    private static bool IsMediaType(string mediaType, string expected) =>
        mediaType.StartsWith(expected, StringComparison.OrdinalIgnoreCase) && (mediaType.Length == expected.Length || mediaType[expected.Length] == ';');

    /// <summary>Throws the stream's error when an event without an id is <c>{"error": ...}</c> (the SDK keeps the property it does not know).</summary>
    private void ThrowIfErrorEvent(StreamingChatCompletionUpdate raw, IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        using var document = JsonDocument.Parse(ModelReaderWriter.Write(raw, ModelReaderWriterOptions.Json).ToMemory());
        if (document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("error"u8, out _))
        {
            throw BackendErrors.FromStreamEvent(_backend, document.RootElement, _secret, RequestTexts.FromChat(messages, options));
        }
    }

    /// <inheritdoc />
    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? base.GetService(serviceType, serviceKey)
            : serviceType == typeof(ChatClientMetadata) ? _metadata
            : serviceType == typeof(IBackendHealthProbe) ? _probe
            : base.GetService(serviceType, serviceKey);
    }

    /// <inheritdoc />
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            (_probe as IDisposable)?.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>
    /// Tells a failure of the backend (an HTTP error, the transport, a timeout, or, once the server answered 2xx, an
    /// answer the SDK cannot read) from a cancellation by the caller and from errors in the request itself, which
    /// Microsoft.Extensions.AI.OpenAI throws before anything is sent and which pass unchanged.
    /// </summary>
    private static bool IsBackendFailure(Exception exception, bool answered, CancellationToken cancellationToken) =>
        !cancellationToken.IsCancellationRequested && (answered || BackendErrors.IsTransport(exception));

    private Exception Map(Exception exception, bool midStream, bool answered, IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        if (exception is ClientResultException { Status: > 0 } http && http.GetRawResponse() is { } response)
        {
            response.Headers.TryGetValue("Retry-After", out var retryAfter);
            return BackendErrors.FromResponse(_backend, response.Status, retryAfter, response.Content, _secret, RequestTexts.FromChat(messages, options));
        }

        if (answered && !BackendErrors.IsTransport(exception))
        {
            // The server said 200 and sent what the SDK cannot read as a chat completion (not JSON, no choices, a finish
            // reason it does not know). The SDK's message may quote the server's text, so it is scrubbed, and the SDK's
            // exception is not kept (its message and data would carry that text unscrubbed).
            return new BackendException(
                BackendErrorKind.MalformedResponse,
                $"Backend '{_backend}' answered with a body that is not a chat completion: {exception.GetType().Name}: {ErrorTextScrubber.For(_secret).Scrub(exception.Message, RequestTexts.FromChat(messages, options))}");
        }

        return BackendErrors.FromTransport(_backend, exception, midStream, _secret, _timeout);
    }
}
