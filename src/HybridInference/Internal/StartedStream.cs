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
    /// Whether to read on, holding back updates without a token (<see cref="HasToken"/>: a role, an empty delta, usage),
    /// however many, until one carries a token: the first token, which is what time-to-first-token measures. The wait
    /// is bounded by <paramref name="cancellationToken"/> (time-to-first-token, the backend's <c>Timeout</c>, the
    /// request's deadline), not by a count, so that no number of content-free chunks makes a stalled backend look started.
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
            while (untilContent && hasFirst && !HasToken(updates.Current))
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

    /// <summary>
    /// Replays what was read to start the stream, then hands every further update straight through from the source's
    /// enumerator (no state machine, no allocation per update); disposing it disposes the source.
    /// </summary>
    public IAsyncEnumerator<ChatResponseUpdate> Replay() => new Replaying(this);

    /// <summary>The enumerator of <see cref="Replay"/>.</summary>
    private sealed class Replaying(StartedStream stream) : IAsyncEnumerator<ChatResponseUpdate>, IForwardingEnumerator
    {
        private int _heldBack = -1;
        private bool _pastFirst;
        private ChatResponseUpdate? _current;

        public ChatResponseUpdate Current => _current ?? stream._updates.Current;

        public IAsyncEnumerator<ChatResponseUpdate>? ForwardTo => _pastFirst && stream._hasFirst ? stream._updates : null;

        public ValueTask<bool> MoveNextAsync()
        {
            if (_pastFirst)
            {
                return stream._hasFirst ? stream._updates.MoveNextAsync() : new ValueTask<bool>(false);
            }

            if (stream._heldBack is { } heldBack && ++_heldBack < heldBack.Count)
            {
                _current = heldBack[_heldBack];
                return new ValueTask<bool>(true);
            }

            // The first update (the one StartAsync stopped at) is the source's current one.
            _current = null;
            _pastFirst = true;
            return new ValueTask<bool>(stream._hasFirst);
        }

        /// <summary>Nothing to do: a replay only passes the source's updates on.</summary>
        public void OnForwardedFailure(Exception exception)
        {
        }

        public ValueTask DisposeAsync() => stream._updates.DisposeAsync();
    }

    /// <summary>
    /// Whether an update carries a token: text, reasoning text or a tool call, something the model produced. A role,
    /// empty text, an empty list of contents and usage are not tokens.
    /// </summary>
    /// <remarks>
    /// Reasoning counts: it is output the model generated (a reasoning model may think for long before its answer), so
    /// a backend that streams it is working, not stalled; abandoning it would throw its work away.
    /// </remarks>
    /// <param name="update">The update.</param>
    /// <returns>Whether it carries a token.</returns>
    public static bool HasToken(ChatResponseUpdate update)
    {
        foreach (var content in UpdateContents.Of(update))
        {
            if (content is TextContent { Text.Length: > 0 } or TextReasoningContent { Text.Length: > 0 } or FunctionCallContent)
            {
                return true;
            }
        }

        return false;
    }
}
