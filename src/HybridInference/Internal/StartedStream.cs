using System.Runtime.CompilerServices;
using System.Runtime.ExceptionServices;
using Microsoft.Extensions.AI;

namespace HybridInference.Internal;

/// <summary>
/// The commit point of streaming failover: a stream whose first update has been read but not yet passed on.
/// Until then a failure may move the request elsewhere; once <see cref="ReadAllAsync"/> yields, it may not.
/// </summary>
internal sealed class StartedStream
{
    /// <summary>How many updates without content (a role, an empty delta) are held back while waiting for content.</summary>
    private const int MaxHeldBack = 64;

    private readonly IAsyncEnumerator<ChatResponseUpdate> _updates;
    private readonly List<ChatResponseUpdate>? _heldBack;
    private readonly bool _hasFirst;

    private StartedStream(IAsyncEnumerator<ChatResponseUpdate> updates, List<ChatResponseUpdate>? heldBack, bool hasFirst)
    {
        _updates = updates;
        _heldBack = heldBack;
        _hasFirst = hasFirst;
    }

    /// <summary>Starts <paramref name="source"/> and reads its first update, or with <paramref name="untilContent"/> its first update with content.</summary>
    /// <param name="source">The stream.</param>
    /// <param name="cancellationToken">Cancels the stream.</param>
    /// <param name="untilContent">
    /// Whether to read on, holding back updates without content (a role, an empty delta), until one carries text or a
    /// tool call: the first token, which is what time-to-first-token measures.
    /// </param>
    /// <returns>The started stream, or the failure that came before any update (the stream is then disposed).</returns>
    public static async Task<(StartedStream? Stream, ExceptionDispatchInfo? Failure)> StartAsync(
        IAsyncEnumerable<ChatResponseUpdate> source, CancellationToken cancellationToken, bool untilContent = false)
    {
        IAsyncEnumerator<ChatResponseUpdate>? updates = null;
        try
        {
            updates = source.GetAsyncEnumerator(cancellationToken);
            var hasFirst = await updates.MoveNextAsync().ConfigureAwait(false);
            List<ChatResponseUpdate>? heldBack = null;
            while (untilContent && hasFirst && !HasContent(updates.Current) && (heldBack?.Count ?? 0) < MaxHeldBack)
            {
                (heldBack ??= []).Add(updates.Current);
                hasFirst = await updates.MoveNextAsync().ConfigureAwait(false);
            }

            return (new StartedStream(updates, heldBack, hasFirst), null);
        }
        catch (Exception ex)
        {
            var failure = ExceptionDispatchInfo.Capture(ex);
            if (updates is not null)
            {
                try
                {
                    await updates.DisposeAsync().ConfigureAwait(false);
                }
                catch (Exception disposeError) when (disposeError is not OperationCanceledException)
                {
                    // The stream already failed; that first failure is the one to report.
                }
            }

            return (null, failure);
        }
    }

    /// <summary>Passes on the first update and the rest of the stream; disposes the stream at the end.</summary>
    public async IAsyncEnumerable<ChatResponseUpdate> ReadAllAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        try
        {
            foreach (var update in _heldBack ?? [])
            {
                yield return update;
            }

            if (!_hasFirst)
            {
                yield break;
            }

            yield return _updates.Current;
            while (await _updates.MoveNextAsync().ConfigureAwait(false))
            {
                cancellationToken.ThrowIfCancellationRequested();
                yield return _updates.Current;
            }
        }
        finally
        {
            await _updates.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Ends a stream that will not be read: the loser of a hedged race.</summary>
    public ValueTask DisposeAsync() => _updates.DisposeAsync();

    private static bool HasContent(ChatResponseUpdate update)
    {
        foreach (var content in update.Contents)
        {
            if (content is TextContent { Text.Length: > 0 } or TextReasoningContent { Text.Length: > 0 } or FunctionCallContent)
            {
                return true;
            }
        }

        return false;
    }
}
