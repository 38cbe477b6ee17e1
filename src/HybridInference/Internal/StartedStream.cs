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
    private readonly bool _hasFirst;

    private StartedStream(IAsyncEnumerator<ChatResponseUpdate> updates, bool hasFirst)
    {
        _updates = updates;
        _hasFirst = hasFirst;
    }

    /// <summary>Starts <paramref name="source"/> and reads its first update.</summary>
    /// <returns>The started stream, or the failure that came before any update (the stream is then disposed).</returns>
    public static async Task<(StartedStream? Stream, ExceptionDispatchInfo? Failure)> StartAsync(IAsyncEnumerable<ChatResponseUpdate> source, CancellationToken cancellationToken)
    {
        IAsyncEnumerator<ChatResponseUpdate>? updates = null;
        try
        {
            updates = source.GetAsyncEnumerator(cancellationToken);
            var hasFirst = await updates.MoveNextAsync().ConfigureAwait(false);
            return (new StartedStream(updates, hasFirst), null);
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
}
