using System.Buffers;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using HybridInference.OpenAI.Dialects;
using HybridInference.OpenAI.Wire;
using Microsoft.Extensions.AI;

namespace HybridInference.OpenAI.Tokenize;

/// <summary>
/// Counts a prompt's tokens on the backend's own server, for the dialects that have a tokenize endpoint. vLLM and TGI
/// count the whole chat with the model's template in one call (vLLM <c>/tokenize</c> with <c>messages</c>, TGI
/// <c>/chat_tokenize</c>). llama.cpp and LocalAI count one text at a time: each message's text is counted once and
/// cached (a chat resends its history, so only a new message costs a call), and the template's own tokens are added
/// (<see cref="ChatTemplateCost"/>): for llama.cpp measured once, on probe conversations rendered by
/// <c>/apply-template</c> and tokenized as the server tokenizes a chat prompt; for LocalAI, which renders none on
/// request, assumed.
/// </summary>
/// <remarks>
/// Text counts are cached in a <see cref="ConditionalWeakTable{TKey, TValue}"/> keyed on the text's string (or the
/// tool, call or result object) instance, as <c>TokenizerTokenCounter</c> does: an entry lives exactly as long as its
/// key, so the cache is bounded by what the application still holds, and a count can never be stale. Failures are
/// <see cref="BackendException"/>s (a 404 is <see cref="BackendErrorKind.NotFound"/>); the chain falls back to the
/// estimate. Thread-safe.
/// </remarks>
internal sealed class ServerTokenCounter : IBackendTokenCounter
{
    private const string ProbeText = "Count me.";

    private readonly ServerDialect _dialect;
    private readonly Uri _root;
    private readonly string? _model;
    private readonly string? _apiKey;
    private readonly HttpClient _httpClient;
    private readonly string _name;
    private readonly ConditionalWeakTable<object, StrongBox<int>> _counts = [];
    private ChatTemplateCost? _template;
    private long _calls;

    /// <summary>Initializes a new instance of the <see cref="ServerTokenCounter"/> class.</summary>
    /// <param name="dialect">The server's dialect; its <see cref="ServerDialect.TokenCount"/> is not <see cref="TokenCountForm.None"/>.</param>
    /// <param name="endpoint">The backend's OpenAI-compatible base address.</param>
    /// <param name="model">The backend's model (LocalAI and vLLM need it).</param>
    /// <param name="apiKey">The backend's key, sent as a bearer token and kept out of messages.</param>
    /// <param name="httpClient">The backend's HTTP client.</param>
    /// <param name="name">The backend's name, for messages.</param>
    public ServerTokenCounter(ServerDialect dialect, Uri endpoint, string? model, string? apiKey, HttpClient httpClient, string name)
    {
        _dialect = dialect;
        _root = ServerDialects.ServerRoot(endpoint);
        _model = model;
        _apiKey = apiKey;
        _httpClient = httpClient;
        _name = name;
    }

    /// <summary>Gets how many calls this counter has made to the server (for tests of the cache).</summary>
    internal long Calls => Interlocked.Read(ref _calls);

    /// <inheritdoc />
    public ValueTask<int> CountPromptTokensAsync(IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        return _dialect.TokenCount is TokenCountForm.VllmChat or TokenCountForm.TgiChat
            ? CountChatAsync(messages, options, cancellationToken)
            : CountTextsAsync(messages, options, cancellationToken);
    }

    private async ValueTask<int> CountChatAsync(IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        var body = await PostAsync(_dialect.TokenizePath!, ChatRequestWriter.WriteChatTokenize(_dialect, _model, messages, options), cancellationToken).ConfigureAwait(false);
        return TokenizeReader.ReadCount(_dialect.TokenCount, body, _name);
    }

    private async ValueTask<int> CountTextsAsync(IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken cancellationToken)
    {
        var template = _template ?? await MeasureTemplateAsync(cancellationToken).ConfigureAwait(false);
        var (total, system, other) = (0, 0, 0);
        if (options?.Instructions is { Length: > 0 } instructions)
        {
            total += await CountAsync(instructions, instructions, cancellationToken).ConfigureAwait(false);
            system++;
        }

        foreach (var message in messages)
        {
            _ = message.Role == ChatRole.System ? system++ : other++;
            foreach (var content in message.Contents)
            {
                total += content switch
                {
                    TextContent text => await CountAsync(text.Text, text.Text, cancellationToken).ConfigureAwait(false),
                    FunctionCallContent call => await CountAsync(call, call.Name + JsonSerializer.Serialize(call.Arguments, AIJsonUtilities.DefaultOptions), cancellationToken).ConfigureAwait(false),
                    FunctionResultContent result => await CountAsync(result, result.Result as string ?? JsonSerializer.Serialize(result.Result, AIJsonUtilities.DefaultOptions), cancellationToken).ConfigureAwait(false),
                    _ => 0,
                };
            }
        }

        if (options?.Tools is { Count: > 0 } tools)
        {
            foreach (var tool in tools)
            {
                var schema = tool is AIFunctionDeclaration function ? function.JsonSchema.GetRawText() : string.Empty;
                total += await CountAsync(tool, $"{tool.Name} {tool.Description} {schema}", cancellationToken).ConfigureAwait(false);
            }
        }

        return total + template.For(system, other);
    }

    /// <summary>Counts one text, from the cache when its key (the string, or the object it was made from) was counted before.</summary>
    private async ValueTask<int> CountAsync(object key, string text, CancellationToken cancellationToken)
    {
        if (text.Length == 0)
        {
            return 0;
        }

        if (_counts.TryGetValue(key, out var cached))
        {
            return cached.Value;
        }

        var count = await CountTextAsync(text, addSpecial: false, cancellationToken).ConfigureAwait(false);
        _counts.TryAdd(key, new StrongBox<int>(count));
        return count;
    }

    /// <summary>Counts one text on the server, uncached.</summary>
    private async ValueTask<int> CountTextAsync(string text, bool addSpecial, CancellationToken cancellationToken)
    {
        var request = Json(writer =>
        {
            if (_dialect.TokenCount == TokenCountForm.LocalAIText)
            {
                writer.WriteString("model"u8, _model ?? string.Empty);
            }

            writer.WriteString("content"u8, text);
            if (_dialect.TokenCount == TokenCountForm.LlamaCppText)
            {
                writer.WriteBoolean("add_special"u8, addSpecial);
            }
        });
        return TokenizeReader.ReadCount(_dialect.TokenCount, await PostAsync(_dialect.TokenizePath!, request, cancellationToken).ConfigureAwait(false), _name);
    }

    /// <summary>
    /// Measures the chat template's tokens once (llama.cpp): three probe conversations are rendered by
    /// <c>/apply-template</c> and tokenized as the server tokenizes a chat prompt (<c>add_special</c>); a server without
    /// <c>/apply-template</c> (404) keeps the assumed costs. LocalAI has no such endpoint: assumed.
    /// </summary>
    private async ValueTask<ChatTemplateCost> MeasureTemplateAsync(CancellationToken cancellationToken)
    {
        ChatTemplateCost template;
        if (_dialect.TokenCount != TokenCountForm.LlamaCppText)
        {
            template = ChatTemplateCost.Assumed;
        }
        else
        {
            var text = await CountTextAsync(ProbeText, addSpecial: false, cancellationToken).ConfigureAwait(false);
            try
            {
                var user = await CountChatPromptAsync([ChatRole.User], cancellationToken).ConfigureAwait(false);
                var userAssistantUser = await CountChatPromptAsync([ChatRole.User, ChatRole.Assistant, ChatRole.User], cancellationToken).ConfigureAwait(false);
                var systemUser = await CountChatPromptAsync([ChatRole.System, ChatRole.User], cancellationToken).ConfigureAwait(false);
                template = ChatTemplateCost.Measure(text, user, userAssistantUser, systemUser);
            }
            catch (BackendException e) when (e.Kind == BackendErrorKind.NotFound)
            {
                // /tokenize answered just before, so the 404 is /apply-template's: an older build without it.
                template = ChatTemplateCost.Assumed;
            }
        }

        _template = template;
        return template;
    }

    /// <summary>Renders a probe conversation with llama.cpp's template and counts it as a chat prompt.</summary>
    private async ValueTask<int> CountChatPromptAsync(ChatRole[] roles, CancellationToken cancellationToken)
    {
        var request = Json(writer =>
        {
            writer.WriteStartArray("messages"u8);
            foreach (var role in roles)
            {
                writer.WriteStartObject();
                writer.WriteString("role"u8, role.Value);
                writer.WriteString("content"u8, ProbeText);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        });
        var prompt = TokenizeReader.ReadRenderedPrompt(await PostAsync("apply-template", request, cancellationToken).ConfigureAwait(false), _name);
        return await CountTextAsync(prompt, addSpecial: true, cancellationToken).ConfigureAwait(false);
    }

    private static BinaryData Json(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }

        return new BinaryData(buffer.WrittenMemory);
    }

    /// <summary>Posts a JSON body to a path under the server root; an HTTP error or a transport failure becomes a <see cref="BackendException"/>.</summary>
    /// <remarks>
    /// vLLM refuses to count a chat longer than its window with its context-length error; when that error says how long
    /// the prompt is, that is the count (the answer that matters: it does not fit), else it is a failure like any other.
    /// </remarks>
    private async Task<BinaryData> PostAsync(string path, BinaryData body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_root, path))
        {
            Content = new ReadOnlyMemoryContent(body.ToMemory()) { Headers = { ContentType = new MediaTypeHeaderValue("application/json") } },
        };
        if (_apiKey is not null)
        {
            request.Headers.Authorization = new("Bearer", _apiKey);
        }

        Interlocked.Increment(ref _calls);
        HttpResponseMessage response;
        try
        {
            response = await _httpClient.SendAsync(request, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (BackendErrors.IsTransport(ex) && !cancellationToken.IsCancellationRequested)
        {
            throw BackendErrors.FromTransport(_name, ex, midStream: false, _apiKey);
        }

        using (response)
        {
            var answer = new BinaryData(await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false));
            if (!response.IsSuccessStatusCode)
            {
                var error = BackendErrors.FromResponse(_name, (int)response.StatusCode, null, answer, _apiKey, body);
                if (error is ContextWindowExceededException { RequiredTokens: { } required } && _dialect.TokenCount == TokenCountForm.VllmChat)
                {
                    return BinaryData.FromString($$"""{"count":{{required}}}""");
                }

                throw error as BackendException ?? new BackendException(BackendErrorKind.Unknown, $"Backend '{_name}' could not count tokens on /{path}: {error.Message}", (int)response.StatusCode, innerException: error);
            }

            return answer;
        }
    }
}
