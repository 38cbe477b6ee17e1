using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net.ServerSentEvents;
using System.Runtime.CompilerServices;
using System.Text.Json;
using HybridInference.Http;
using HybridInference.OpenAI.Dialects;
using HybridInference.OpenAI.Wire;
using Microsoft.Extensions.AI;
using OpenAI;
using ChatClient = OpenAI.Chat.ChatClient;

namespace HybridInference.OpenAI;

/// <summary>
/// An <see cref="IChatClient"/> for any server that speaks OpenAI's chat completions API, on the OpenAI .NET SDK:
/// vLLM, Ollama, llama.cpp's llama-server, TGI, LocalAI, MLX, and OpenAI itself.
/// </summary>
/// <remarks>
/// <para>
/// The SDK's pipeline carries the calls (authentication, transport, timeouts); the request and response bodies are
/// written and read here, per server dialect, because these servers differ in ways the SDK's typed models do not
/// express: TGI's <c>{type, value}</c> schema constraint, reasoning text under two names, errors sent inside a 200
/// stream, usage on every chunk or on none. The SDK's own retries are off (but for one retry of a call whose pooled
/// connection was found dead before any answer): the hybrid chain decides what happens
/// after a failure (failover, escalation), so a failure must surface at once.
/// </para>
/// <para>
/// Failures become <see cref="BackendException"/> (with its <see cref="BackendErrorKind"/>) or, for a prompt too
/// long for the model, <see cref="ContextWindowExceededException"/>. Thread-safe.
/// </para>
/// </remarks>
public sealed partial class OpenAICompatibleChatClient : IChatClient, IBackendHealthProbe
{
    private readonly ChatClient _client;
    private readonly ServerDialect _dialect;
    private readonly string? _model;
    private readonly int? _defaultMaxOutputTokens;
    private readonly string? _apiKey;
    private readonly ChatClientMetadata _metadata;
    private readonly HttpClient _httpClient;
    private readonly string _timeoutText;
    private readonly Tokenize.ServerTokenCounter? _tokenCounter;

    /// <summary>The context window the server reported for one request; 0 until it has (and after a failed probe).</summary>
    private volatile int _contextWindow;

    /// <summary>The SDK's network timeout when none is configured.</summary>
    internal static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(100);

    /// <summary>The timeout of a local backend built from configuration that sets none (the core's default for the local lane).</summary>
    internal static readonly TimeSpan DefaultLocalTimeout = TimeSpan.FromSeconds(30);

    /// <summary>Initializes a new instance of the <see cref="OpenAICompatibleChatClient"/> class.</summary>
    /// <param name="options">Where and how to reach the server.</param>
    /// <param name="httpClient">The HTTP client to send with (from <c>IHttpClientFactory</c>); a shared one when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">The provider is unknown, or the endpoint is not an absolute http(s) URL.</exception>
    public OpenAICompatibleChatClient(OpenAICompatibleChatClientOptions options, HttpClient? httpClient = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _dialect = ServerDialects.Find(options.Provider)
            ?? throw new ArgumentException($"Unknown provider '{options.Provider}'; known: {string.Join(", ", ServerDialects.Names)}.", nameof(options));
        var endpoint = options.Endpoint ?? _dialect.DefaultEndpoint;
        if (!endpoint.IsAbsoluteUri || (endpoint.Scheme != Uri.UriSchemeHttp && endpoint.Scheme != Uri.UriSchemeHttps))
        {
            throw new ArgumentException($"The endpoint '{EndpointDisplay.Render(endpoint)}' is not an absolute http or https URL.", nameof(options));
        }

        _model = options.Model;
        _defaultMaxOutputTokens = options.DefaultMaxOutputTokens;
        _apiKey = string.IsNullOrEmpty(options.ApiKey) ? null : options.ApiKey;
        Name = options.Name ?? _dialect.Name;
        Endpoint = endpoint;

        Timeout = options.Timeout ?? DefaultTimeout;
        var clientOptions = new OpenAIClientOptions
        {
            Endpoint = endpoint,
            RetryPolicy = new StaleConnectionRetryPolicy(),
            NetworkTimeout = Timeout,
        };
        _timeoutText = BackendErrors.DescribeTimeout(options.Timeout ?? DefaultTimeout, options.TimeoutSetting ?? "OpenAICompatibleChatClientOptions.Timeout");
        _httpClient = httpClient ?? SharedHttpClient;
        clientOptions.Transport = new HttpClientPipelineTransport(_httpClient);

        AuthenticationPolicy authentication = _apiKey is null
            ? new NoAuthenticationPolicy()
            : ApiKeyAuthenticationPolicy.CreateBearerAuthorizationPolicy(new ApiKeyCredential(_apiKey));
        // The AuthenticationPolicy constructor is marked for evaluation (OPENAI001); it is the SDK's only way to send no
        // Authorization header at all, which is what a local server without a key should get (not a made-up key).
#pragma warning disable OPENAI001
        _client = new ChatClient(_model ?? "default", authentication, clientOptions);
#pragma warning restore OPENAI001
        _metadata = new ChatClientMetadata(_dialect.Name, endpoint, _model);
        _tokenCounter = _dialect.TokenCount == TokenCountForm.None ? null : new Tokenize.ServerTokenCounter(_dialect, endpoint, _model, _apiKey, _httpClient, Name);
    }

    private static HttpClient SharedHttpClient { get; } = new() { Timeout = System.Threading.Timeout.InfiniteTimeSpan };

    /// <summary>Gets the longest one call waits for the server (the SDK's network timeout).</summary>
    internal TimeSpan Timeout { get; }

    /// <summary>Gets the name that identifies the backend in errors.</summary>
    public string Name { get; }

    /// <summary>Gets the base address of the server's OpenAI-compatible API.</summary>
    public Uri Endpoint { get; }

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ThrowIfUnsupported(options);
        var body = ChatRequestWriter.Write(_dialect, _model, messages, options, stream: false, _defaultMaxOutputTokens);
        var response = await SendAsync(body, buffer: true, cancellationToken, jsonRequested: options?.ResponseFormat is ChatResponseFormatJson).ConfigureAwait(false);
        if (response is null)
        {
            return CutOffAnswer();
        }

        using (response)
        {
            return ChatResponseReader.ReadCompletion(response.Content, Name);
        }
    }

    /// <summary>
    /// The answer to a JSON request whose grammar-constrained output the server could not parse
    /// (<see cref="BackendErrors.IsUnparsedOutput"/>): the output stopped before its grammar was complete, so it was cut
    /// off, the same as an answer with finish reason <c>length</c>. The server keeps the text back, so the answer is
    /// empty; the lane's JSON validation then sees a truncated answer, and the fallback retries it as one (with more
    /// room) and escalates it as a validation failure. The server is not failing: this is not a server error.
    /// </summary>
    private ChatResponse CutOffAnswer() => new(new ChatMessage(ChatRole.Assistant, string.Empty))
    {
        FinishReason = ChatFinishReason.Length,
        ModelId = _model,
    };

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        ThrowIfUnsupported(options);
        var body = ChatRequestWriter.Write(_dialect, _model, messages, options, stream: true, _defaultMaxOutputTokens);
        using var response = (await SendAsync(body, buffer: false, cancellationToken).ConfigureAwait(false))!;
        var stream = response.ContentStream ?? throw new BackendException(BackendErrorKind.MalformedResponse, $"Backend '{Name}' answered without a body.");
        var events = SseParser.Create(stream).EnumerateAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
        var state = new StreamState();
        var done = false;
        try
        {
            while (true)
            {
                SseItem<string> item;
                try
                {
                    if (!await events.MoveNextAsync().ConfigureAwait(false))
                    {
                        break;
                    }

                    item = events.Current;
                }
                catch (Exception ex) when (BackendErrors.IsTransport(ex) && !cancellationToken.IsCancellationRequested)
                {
                    throw BackendErrors.FromTransport(Name, ex, midStream: true, _apiKey, _timeoutText);
                }

                if (item.Data == "[DONE]")
                {
                    done = true;
                    break;
                }

                if (string.IsNullOrWhiteSpace(item.Data))
                {
                    continue; // Keep-alive comments and empty events carry nothing.
                }

                var update = ReadEvent(item.Data, state, body);
                if (update.Contents.Count > 0 || update.FinishReason is not null || update.Role is not null)
                {
                    yield return update;
                }
            }
        }
        finally
        {
            await events.DisposeAsync().ConfigureAwait(false);
        }

        if (!done && !state.Finished)
        {
            // The server closed the connection without finishing (llama.cpp and a cut connection end like this).
            throw new BackendException(BackendErrorKind.Disconnected, $"Backend '{Name}' ended its stream before it was complete.");
        }

        if (state.Usage is { } usage)
        {
            yield return new ChatResponseUpdate { Role = ChatRole.Assistant, Contents = [new UsageContent(usage)] };
        }
    }

    /// <summary>Refuses, before anything is sent, a JSON request to a server that cannot constrain its output.</summary>
    private void ThrowIfUnsupported(ChatOptions? options)
    {
        if (options?.ResponseFormat is ChatResponseFormatJson && _dialect.SchemaFormat == SchemaConstraintFormat.None)
        {
            throw new BackendException(
                BackendErrorKind.Unsupported,
                $"Backend '{Name}' ({_dialect.Name}) cannot constrain its output to a JSON Schema: the server ignores response_format. Nothing was sent.");
        }
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(ChatClientMetadata) ? _metadata
            : serviceType == typeof(IBackendTokenCounter) ? _tokenCounter
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private ChatResponseUpdate ReadEvent(string data, StreamState state, BinaryData request)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(data);
        }
        catch (JsonException ex)
        {
            throw new BackendException(BackendErrorKind.MalformedResponse, $"Backend '{Name}' sent a stream event that is not JSON: {ex.Message}", innerException: ex);
        }

        using (document)
        {
            if (ChatResponseReader.IsError(document.RootElement))
            {
                throw BackendErrors.FromStreamEvent(Name, document.RootElement, _apiKey, request);
            }

            return ChatResponseReader.ReadChunk(document.RootElement, state);
        }
    }

    /// <summary>Sends a chat request; an HTTP error becomes the chain's exception.</summary>
    /// <returns>The response; null when <paramref name="jsonRequested"/> and the server could not parse the model's cut-off output.</returns>
    private async Task<PipelineResponse?> SendAsync(BinaryData body, bool buffer, CancellationToken cancellationToken, bool jsonRequested = false)
    {
        using var content = BinaryContent.Create(body);
        var requestOptions = new RequestOptions
        {
            CancellationToken = cancellationToken,
            ErrorOptions = ClientErrorBehaviors.NoThrow,
            BufferResponse = buffer,
        };

        ClientResult result;
        try
        {
            result = await _client.CompleteChatAsync(content, requestOptions).ConfigureAwait(false);
        }
        catch (Exception ex) when (BackendErrors.IsTransport(ex) && !cancellationToken.IsCancellationRequested)
        {
            throw BackendErrors.FromTransport(Name, ex, midStream: false, _apiKey, _timeoutText);
        }

        var response = result.GetRawResponse();
        if (response.Status >= 400)
        {
            using (response)
            {
                if (!buffer)
                {
                    await response.BufferContentAsync(cancellationToken).ConfigureAwait(false);
                }

                if (jsonRequested && BackendErrors.IsUnparsedOutput(response.Status, response.Content))
                {
                    return null;
                }

                response.Headers.TryGetValue("Retry-After", out var retryAfter);
                throw BackendErrors.FromResponse(Name, response.Status, retryAfter, response.Content, _apiKey, body);
            }
        }

        return response;
    }
}
