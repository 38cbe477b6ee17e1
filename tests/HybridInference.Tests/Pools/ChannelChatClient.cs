using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace HybridInference.Tests.Pools;

/// <summary>
/// A backend whose stream the test writes update by update (<see cref="Write"/>), so that it can stall, trickle
/// content-free chunks or stop at any point on the fake clock. Each streaming call reads the next queued stream.
/// </summary>
internal sealed class ChannelChatClient(string name) : IChatClient
{
    private readonly Queue<Channel<ChatResponseUpdate>> _streams = new();
    private Channel<ChatResponseUpdate>? _current;
    private int _calls;

    public string Name { get; } = name;

    public int Calls => Volatile.Read(ref _calls);

    /// <summary>Gets how many streams ended because their token was cancelled.</summary>
    public int Cancellations { get; private set; }

    /// <summary>A token update.</summary>
    public static ChatResponseUpdate Token(string text) => new(ChatRole.Assistant, text);

    /// <summary>The content-free updates servers send: a role, empty text, no contents, usage, empty reasoning.</summary>
    public static ChatResponseUpdate ContentFree(string kind) => kind switch
    {
        "role" => new ChatResponseUpdate { Role = ChatRole.Assistant },
        "empty-text" => new ChatResponseUpdate(ChatRole.Assistant, string.Empty),
        "empty-contents" => new ChatResponseUpdate { Contents = [] },
        "usage" => new ChatResponseUpdate { Contents = [new UsageContent(new UsageDetails { InputTokenCount = 5 })] },
        "empty-reasoning" => new ChatResponseUpdate { Contents = [new TextReasoningContent(string.Empty)] },
        "empty-text-list" => new ChatResponseUpdate { Contents = [new TextContent(string.Empty), new TextContent(null)] },
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
    };

    /// <summary>Queues a stream that yields <paramref name="updates"/> and then stalls until cancelled (or written to).</summary>
    public ChannelChatClient Stream(params ChatResponseUpdate[] updates)
    {
        var channel = Channel.CreateUnbounded<ChatResponseUpdate>();
        foreach (var update in updates)
        {
            channel.Writer.TryWrite(update);
        }

        lock (_streams)
        {
            _streams.Enqueue(channel);
        }

        return this;
    }

    /// <summary>Adds an update to the stream being read.</summary>
    public void Write(ChatResponseUpdate update) => _current!.Writer.TryWrite(update);

    /// <summary>Ends the stream being read.</summary>
    public void Complete() => _current!.Writer.TryComplete();

    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        GetStreamingResponseAsync(messages, options, cancellationToken).ToChatResponseAsync(cancellationToken);

    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _calls);
        Channel<ChatResponseUpdate> channel;
        lock (_streams)
        {
            channel = _streams.Dequeue();
        }

        _current = channel;
        while (true)
        {
            ChatResponseUpdate update;
            try
            {
                if (!await channel.Reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
                {
                    yield break;
                }

                update = await channel.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                Cancellations++;
                throw;
            }

            yield return update;
        }
    }

    public object? GetService(Type serviceType, object? serviceKey = null) => null;

    public void Dispose()
    {
    }
}
