using Microsoft.Extensions.AI;

namespace HybridInference.Internal;

/// <summary>
/// A stream whose start is asynchronous work (classifying, choosing a backend, failing over, escalating) and whose
/// updates then come straight from the enumerator that work produced: after the start, every update costs one
/// interface call, no state machine of its own and no allocation. Failures of the start surface at the first
/// <see cref="IAsyncEnumerator{T}.MoveNextAsync"/>, as they would from an async iterator.
/// </summary>
internal sealed class DeferredStream : IAsyncEnumerable<ChatResponseUpdate>
{
    private readonly Func<CancellationToken, ValueTask<IAsyncEnumerator<ChatResponseUpdate>>> _start;
    private readonly CancellationToken _cancellationToken;

    /// <summary>Initializes a new instance of the <see cref="DeferredStream"/> class.</summary>
    /// <param name="start">Does the work before the first update and returns the enumerator of the updates, positioned before the first.</param>
    /// <param name="cancellationToken">The token given with the request; combined with the one given to <see cref="GetAsyncEnumerator"/>, as an async iterator would.</param>
    public DeferredStream(Func<CancellationToken, ValueTask<IAsyncEnumerator<ChatResponseUpdate>>> start, CancellationToken cancellationToken)
    {
        _start = start;
        _cancellationToken = cancellationToken;
    }

    public IAsyncEnumerator<ChatResponseUpdate> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        new Enumerator(_start, StreamCancellation.Combine(_cancellationToken, cancellationToken));

    private sealed class Enumerator(Func<CancellationToken, ValueTask<IAsyncEnumerator<ChatResponseUpdate>>> start, StreamCancellation cancellation)
        : IAsyncEnumerator<ChatResponseUpdate>, IForwardingEnumerator
    {
        private IAsyncEnumerator<ChatResponseUpdate>? _inner;
        private IAsyncEnumerator<ChatResponseUpdate>? _next;
        private bool _resolved;

        public ChatResponseUpdate Current => _next!.Current;

        public IAsyncEnumerator<ChatResponseUpdate>? ForwardTo => _inner;

        public ValueTask<bool> MoveNextAsync()
        {
            if (_next is null)
            {
                return StartAsync();
            }

            var below = Forwarding.Resolve(ref _next!, ref _resolved);
            ValueTask<bool> next;
            try
            {
                next = below.MoveNextAsync();
            }
            catch (Exception ex)
            {
                Forwarding.ReportFailure(_inner, below, ex);
                throw;
            }

            return next.IsCompletedSuccessfully ? next : AwaitAsync(next, below);
        }

        /// <summary>Nothing to do: past its start, this stream only passes updates on.</summary>
        public void OnForwardedFailure(Exception exception)
        {
        }

        public async ValueTask DisposeAsync()
        {
            if (_inner is not null)
            {
                await _inner.DisposeAsync().ConfigureAwait(false);
            }

            cancellation.Dispose();
        }

        private async ValueTask<bool> AwaitAsync(ValueTask<bool> next, IAsyncEnumerator<ChatResponseUpdate> below)
        {
            try
            {
                return await next.ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                Forwarding.ReportFailure(_inner, below, ex);
                throw;
            }
        }

        private async ValueTask<bool> StartAsync()
        {
            _next = _inner = await start(cancellation.Token).ConfigureAwait(false);
            return await _inner.MoveNextAsync().ConfigureAwait(false);
        }
    }
}
