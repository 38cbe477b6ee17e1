using HybridInference.Internal;
using Microsoft.Extensions.AI;
using Polly;

namespace HybridInference.CircuitBreaker;

/// <summary>The breaker's streams: one attempt each, run inside the lane's pipeline until the caller has read it.</summary>
internal sealed partial class CircuitBreakerChatClient
{
    /// <summary>
    /// A stream run inside the breaker's pipeline: the pipeline's callback starts the stream, reports the first
    /// update, and completes only when the caller has finished reading, with the stream's outcome. Past the first
    /// update, each one comes straight from the lane below: the enumerator forwards (<see cref="IForwardingEnumerator"/>),
    /// so a layer above reads the lane directly and tells this one of a failure, which the breaker records.
    /// </summary>
    private sealed class GuardedStream(CircuitBreakerChatClient client, IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken requestCancellation)
        : IAsyncEnumerable<ChatResponseUpdate>
    {
        public IAsyncEnumerator<ChatResponseUpdate> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
            new Enumerator(client, new StreamingAttempt(client.InnerClient, messages, options), StreamCancellation.Combine(requestCancellation, cancellationToken));

        private sealed class Enumerator(CircuitBreakerChatClient client, StreamingAttempt attempt, StreamCancellation cancellation)
            : IAsyncEnumerator<ChatResponseUpdate>, IForwardingEnumerator
        {
            private ResilienceContext? _context;
            private Task<Outcome<Task<ChatResponse>?>>? _execution;
            private bool _started;
            private bool _forwarding;
            private IAsyncEnumerator<ChatResponseUpdate>? _next;
            private bool _resolved;

            public ChatResponseUpdate Current => (_next ?? attempt.Updates!).Current;

            public IAsyncEnumerator<ChatResponseUpdate>? ForwardTo => _forwarding ? attempt.Updates : null;

            public ValueTask<bool> MoveNextAsync()
            {
                if (!_started)
                {
                    return StartAsync();
                }

                _next ??= attempt.Updates!;
                var below = Forwarding.Resolve(ref _next!, ref _resolved);
                ValueTask<bool> next;
                try
                {
                    // Read past the layers below that only pass updates on (the same updates, failures and end).
                    next = below.MoveNextAsync();
                }
                catch (Exception ex)
                {
                    Failed(below, ex);
                    throw;
                }

                return next.IsCompletedSuccessfully ? next : AwaitAsync(next, below);
            }

            /// <summary>A read past this enumerator failed: the stream's outcome, for the breaker to record.</summary>
            public void OnForwardedFailure(Exception exception) => attempt.Finish(exception);

            public async ValueTask DisposeAsync()
            {
                // Ends the pipeline's callback, so the breaker records the stream's outcome exactly once.
                attempt.Finish(null);
                if (_execution is not null)
                {
                    await _execution.ConfigureAwait(false);
                }

                if (attempt.Updates is not null)
                {
                    await attempt.Updates.DisposeAsync().ConfigureAwait(false);
                }

                if (_context is not null)
                {
                    ResilienceContextPool.Shared.Return(_context);
                    _context = null;
                }

                cancellation.Dispose();
            }

            private async ValueTask<bool> StartAsync()
            {
                _started = true;
                client.EndBreakIfProbePassed();
                _context = ResilienceContextPool.Shared.Get(cancellation.Token);
                _execution = client._pipeline.ExecuteOutcomeAsync(static (context, attempt) => attempt.RunAsync(context.CancellationToken), _context, attempt).AsTask();

                // Either the stream has produced its first update (or ended empty), or the breaker rejected the call
                // or the backend failed before anything came.
                await Task.WhenAny(attempt.Started, _execution).ConfigureAwait(false);
                if (!attempt.Started.IsCompleted)
                {
                    client.ThrowIfException(await _execution.ConfigureAwait(false));
                    return false;
                }

                var moved = await attempt.Started.ConfigureAwait(false);
                _forwarding = true;
                return moved;
            }

            private async ValueTask<bool> AwaitAsync(ValueTask<bool> next, IAsyncEnumerator<ChatResponseUpdate> below)
            {
                try
                {
                    return await next.ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    Failed(below, ex);
                    throw;
                }
            }

            private void Failed(IAsyncEnumerator<ChatResponseUpdate> below, Exception exception)
            {
                Forwarding.ReportFailure(attempt.Updates, below, exception);
                attempt.Finish(exception);
            }
        }
    }

    /// <summary>The stream's attempt as the pipeline runs it: started inside the callback, which ends when the caller is done.</summary>
    private sealed class StreamingAttempt(IChatClient inner, IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        private readonly TaskCompletionSource<bool> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<Outcome<Task<ChatResponse>?>> _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<bool> Started => _started.Task;

        public IAsyncEnumerator<ChatResponseUpdate>? Updates { get; private set; }

        public async ValueTask<Outcome<Task<ChatResponse>?>> RunAsync(CancellationToken cancellationToken)
        {
            try
            {
                Updates = inner.GetStreamingResponseAsync(messages, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
                _started.TrySetResult(await Updates.MoveNextAsync().ConfigureAwait(false));
            }
            catch (Exception ex)
            {
                return Outcome.FromException<Task<ChatResponse>?>(ex);
            }

            return await _finished.Task.ConfigureAwait(false);
        }

        public void Finish(Exception? exception) =>
            _finished.TrySetResult(exception is null ? Outcome.FromResult<Task<ChatResponse>?>(null) : Outcome.FromException<Task<ChatResponse>?>(exception));
    }
}
