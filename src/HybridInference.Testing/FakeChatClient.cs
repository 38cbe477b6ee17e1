using System.Runtime.CompilerServices;
using Microsoft.Extensions.AI;

namespace HybridInference.Testing;

/// <summary>
/// A scripted <see cref="IChatClient"/> backend for tests: it answers requests in order from a queue of replies,
/// exceptions, delays and stream failures, and records every request it receives.
/// </summary>
/// <remarks>
/// <para>
/// Every scripting method returns the client, so scripts chain. When the queue is empty, the client answers with
/// <see cref="DefaultReply"/>, or throws <see cref="InvalidOperationException"/> if none is set: an unexpected call
/// fails the test loudly instead of passing by accident.
/// </para>
/// <para>
/// A reply serves both kinds of request: a plain request gets the whole text; a streaming request gets it as the
/// scripted chunks (or as one chunk), followed by an update that carries the usage. Thread-safe.
/// </para>
/// </remarks>
public sealed class FakeChatClient : IChatClient
{
    private readonly Lock _gate = new();
    private readonly Queue<Step> _script = new();
    private readonly Queue<FakeChatRequest> _requests = new();
    private readonly ChatClientMetadata _metadata;
    private int? _maxRecordedRequests;
    private long _requestCount;

    /// <summary>Initializes a new instance of the <see cref="FakeChatClient"/> class.</summary>
    /// <param name="name">The name it reports as its provider and model (in <see cref="ChatClientMetadata"/>).</param>
    public FakeChatClient(string name = "fake")
    {
        Name = name;
        _metadata = new ChatClientMetadata(providerName: name, defaultModelId: name);
    }

    /// <summary>Gets the name it reports as its provider and model.</summary>
    public string Name { get; }

    /// <summary>Gets or sets the answer to requests that arrive when the script is empty; <see langword="null"/> makes them throw.</summary>
    public Func<FakeChatRequest, string>? DefaultReply { get; set; }

    /// <summary>Gets or sets the clock that scripted delays wait on. Default <see cref="TimeProvider.System"/>.</summary>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// Gets or sets how many of the most recent requests <see cref="Requests"/> keeps; <see langword="null"/> (the
    /// default) keeps every one, 0 keeps none. Set it for long runs (soak tests, benchmarks) so the record does not grow
    /// without bound; <see cref="RequestCount"/> still counts every request.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is negative.</exception>
    public int? MaxRecordedRequests
    {
        get
        {
            lock (_gate)
            {
                return _maxRecordedRequests;
            }
        }

        set
        {
            if (value is < 0)
            {
                throw new ArgumentOutOfRangeException(nameof(value), value, "MaxRecordedRequests must be null (keep every request) or at least 0.");
            }

            lock (_gate)
            {
                _maxRecordedRequests = value;
                TrimRecord();
            }
        }
    }

    /// <summary>Gets the requests recorded so far, oldest first (the most recent <see cref="MaxRecordedRequests"/> when that is set).</summary>
    public IReadOnlyList<FakeChatRequest> Requests
    {
        get
        {
            lock (_gate)
            {
                return [.. _requests];
            }
        }
    }

    /// <summary>Gets the number of requests received since the client was made or <see cref="ClearRequests"/> was last called, recorded or not.</summary>
    public long RequestCount
    {
        get
        {
            lock (_gate)
            {
                return _requestCount;
            }
        }
    }

    /// <summary>Gets the number of scripted steps not yet used.</summary>
    public int Remaining
    {
        get
        {
            lock (_gate)
            {
                return _script.Count;
            }
        }
    }

    /// <summary>Forgets the requests recorded so far and sets <see cref="RequestCount"/> back to 0; the script is kept.</summary>
    /// <returns>This client.</returns>
    public FakeChatClient ClearRequests()
    {
        lock (_gate)
        {
            _requests.Clear();
            _requestCount = 0;
        }

        return this;
    }

    /// <summary>Queues a reply.</summary>
    /// <param name="text">The answer text.</param>
    /// <param name="inputTokens">The input tokens the reply reports.</param>
    /// <param name="outputTokens">The output tokens the reply reports.</param>
    /// <param name="delay">How long to wait before answering (before the first chunk, when streaming).</param>
    /// <param name="finishReason">The finish reason; <see cref="ChatFinishReason.Stop"/> when <see langword="null"/>.</param>
    /// <returns>This client.</returns>
    public FakeChatClient Reply(string text, long inputTokens = 10, long outputTokens = 10, TimeSpan? delay = null, ChatFinishReason? finishReason = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Enqueue(new Step { Chunks = [text], InputTokens = inputTokens, OutputTokens = outputTokens, Delay = delay, FinishReason = finishReason });
    }

    /// <summary>Queues a reply that streams as the given chunks (a plain request gets them joined).</summary>
    /// <param name="chunks">The chunks, in order.</param>
    /// <returns>This client.</returns>
    public FakeChatClient ReplyInChunks(params string[] chunks)
    {
        ArgumentNullException.ThrowIfNull(chunks);
        return Enqueue(new Step { Chunks = chunks, InputTokens = 10, OutputTokens = chunks.Length });
    }

    /// <summary>Queues an exception, thrown when the request arrives (before any chunk, when streaming).</summary>
    /// <param name="exception">The exception.</param>
    /// <param name="delay">How long to wait before throwing.</param>
    /// <returns>This client.</returns>
    public FakeChatClient Throw(Exception exception, TimeSpan? delay = null)
    {
        ArgumentNullException.ThrowIfNull(exception);
        return Enqueue(new Step { Exception = exception, Delay = delay });
    }

    /// <summary>Queues a stream that yields <paramref name="chunksBefore"/> and then fails with <paramref name="exception"/>.</summary>
    /// <param name="exception">The failure after the chunks.</param>
    /// <param name="chunksBefore">The chunks that arrive before the failure.</param>
    /// <returns>This client.</returns>
    /// <remarks>A plain request gets the exception without output.</remarks>
    public FakeChatClient ThrowMidStream(Exception exception, params string[] chunksBefore)
    {
        ArgumentNullException.ThrowIfNull(exception);
        ArgumentNullException.ThrowIfNull(chunksBefore);
        return Enqueue(new Step { Chunks = chunksBefore, Exception = exception, ExceptionAfterChunks = true });
    }

    /// <inheritdoc />
    public async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var step = Next(messages, options, streaming: false);
        await WaitAsync(step, cancellationToken).ConfigureAwait(false);
        if (step.Exception is not null)
        {
            throw step.Exception;
        }

        return new ChatResponse(new ChatMessage(ChatRole.Assistant, string.Concat(step.Chunks)))
        {
            ModelId = Name,
            FinishReason = step.FinishReason ?? ChatFinishReason.Stop,
            Usage = new UsageDetails
            {
                InputTokenCount = step.InputTokens,
                OutputTokenCount = step.OutputTokens,
                TotalTokenCount = step.InputTokens + step.OutputTokens,
            },
        };
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var step = Next(messages, options, streaming: true);
        await WaitAsync(step, cancellationToken).ConfigureAwait(false);
        if (step.Exception is not null && !step.ExceptionAfterChunks)
        {
            throw step.Exception;
        }

        var responseId = Guid.NewGuid().ToString("N");
        foreach (var chunk in step.Chunks)
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return new ChatResponseUpdate(ChatRole.Assistant, chunk) { ModelId = Name, ResponseId = responseId, MessageId = responseId };
        }

        if (step.Exception is not null)
        {
            throw step.Exception;
        }

        yield return new ChatResponseUpdate
        {
            Role = ChatRole.Assistant,
            ModelId = Name,
            ResponseId = responseId,
            MessageId = responseId,
            FinishReason = step.FinishReason ?? ChatFinishReason.Stop,
            Contents =
            [
                new UsageContent(new UsageDetails
                {
                    InputTokenCount = step.InputTokens,
                    OutputTokenCount = step.OutputTokens,
                    TotalTokenCount = step.InputTokens + step.OutputTokens,
                }),
            ],
        };
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? null
            : serviceType == typeof(ChatClientMetadata) ? _metadata
            : serviceType.IsInstanceOfType(this) ? this
            : null;
    }

    /// <inheritdoc />
    public void Dispose()
    {
    }

    private FakeChatClient Enqueue(Step step)
    {
        lock (_gate)
        {
            _script.Enqueue(step);
        }

        return this;
    }

    private Step Next(IEnumerable<ChatMessage> messages, ChatOptions? options, bool streaming)
    {
        ArgumentNullException.ThrowIfNull(messages);
        var request = new FakeChatRequest([.. messages], options, streaming);
        Func<FakeChatRequest, string>? fallback;
        long number;
        lock (_gate)
        {
            number = ++_requestCount;
            _requests.Enqueue(request);
            TrimRecord();
            if (_script.TryDequeue(out var step))
            {
                return step;
            }

            fallback = DefaultReply;
        }

        if (fallback is null)
        {
            throw new InvalidOperationException(
                $"FakeChatClient '{Name}' received request number {number} but its script is empty and it has no DefaultReply.");
        }

        var text = fallback(request);
        return new Step { Chunks = [text], InputTokens = 10, OutputTokens = Math.Max(1, text.Length / 4) };
    }

    /// <summary>Drops the oldest recorded requests beyond <see cref="MaxRecordedRequests"/>; called under the lock.</summary>
    private void TrimRecord()
    {
        while (_maxRecordedRequests is { } max && _requests.Count > max)
        {
            _requests.Dequeue();
        }
    }

    private async Task WaitAsync(Step step, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (step.Delay is { } delay && delay > TimeSpan.Zero)
        {
            await Task.Delay(delay, TimeProvider, cancellationToken).ConfigureAwait(false);
        }
    }

    private sealed class Step
    {
        public string[] Chunks { get; init; } = [];

        public long InputTokens { get; init; }

        public long OutputTokens { get; init; }

        public TimeSpan? Delay { get; init; }

        public ChatFinishReason? FinishReason { get; init; }

        public Exception? Exception { get; init; }

        public bool ExceptionAfterChunks { get; init; }
    }
}
