using System.Diagnostics;
using System.Runtime.ExceptionServices;
using HybridInference.Internal;
using Microsoft.Extensions.AI;

namespace HybridInference.Cost;

/// <summary>The cost meter's streams.</summary>
internal sealed partial class CostMeterChatClient
{
    /// <summary>
    /// One metered stream: starts the request when reading starts, passes the updates on, adds the outcome's update at
    /// the end, and records the request once when it ends, fails, or the caller stops reading.
    /// </summary>
    /// <remarks>
    /// Hand-written rather than an async iterator: an update the chain below has ready passes with no state machine. As
    /// an async iterator's <c>finally</c> would, a failure records the request and lets go of the stream below before
    /// the caller hears of it.
    /// </remarks>
    private sealed class MeteredStream(CostMeterChatClient meter, IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken requestCancellation)
        : IAsyncEnumerable<ChatResponseUpdate>
    {
        public IAsyncEnumerator<ChatResponseUpdate> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
            new Enumerator(meter, messages, options, StreamCancellation.Combine(requestCancellation, cancellationToken));

        private sealed class Enumerator(CostMeterChatClient meter, IEnumerable<ChatMessage> messages, ChatOptions? options, StreamCancellation cancellation)
            : IAsyncEnumerator<ChatResponseUpdate>
        {
            private Phase _phase;
            private RequestState _request = null!;
            private Activity? _activity;
            private long _started;
            private bool _committed;
            private ChatFinishReason? _finishReason;
            private bool _asksForTool;
            private bool _offersTools;
            private List<ChatResponseUpdate>? _answer;
            private RouteOutcome? _outcome;
            private CancellationTokenSource? _deadline;
            private CancellationTokenSource? _linked;
            private IAsyncEnumerator<ChatResponseUpdate>? _updates;
            private IAsyncEnumerator<ChatResponseUpdate>? _next;
            private bool _resolved;

            private enum Phase
            {
                NotStarted,
                Streaming,
                OutcomeSent,
                Done,
            }

            public ChatResponseUpdate Current { get; private set; } = null!;

            private CancellationToken Token => cancellation.Token;

            public ValueTask<bool> MoveNextAsync()
            {
                switch (_phase)
                {
                    case Phase.Done:
                        return new(false);
                    case Phase.OutcomeSent:
                        return EndAsync();
                    case Phase.NotStarted:
                        try
                        {
                            Start();
                        }
                        catch (Exception ex)
                        {
                            return _phase == Phase.NotStarted ? ValueTask.FromException<bool>(ex) : FailAsync(ex);
                        }

                        break;
                }

                ValueTask<bool> next;
                try
                {
                    // Read past the layers below that only pass updates on (the same updates, failures and end).
                    next = Forwarding.Resolve(ref _next!, ref _resolved).MoveNextAsync();
                }
                catch (Exception ex)
                {
                    return FailAsync(ex);
                }

                return next.IsCompletedSuccessfully ? new(Moved(next.Result)) : AwaitAsync(next);
            }

            public ValueTask DisposeAsync()
            {
                if (_phase == Phase.NotStarted)
                {
                    _phase = Phase.Done;
                    cancellation.Dispose();
                    return default;
                }

                return _phase == Phase.Done ? default : FinishAsync();
            }

            private void Start()
            {
                ObjectDisposedException.ThrowIf(meter._disposed, meter);
                RequestGuard.ThrowIfInvalid(messages, options);
                _started = meter._timeProvider.GetTimestamp();
                var requestOptions = options;
                _request = meter.Begin(ref requestOptions, _started);
                _activity = meter.StartActivity(messages, requestOptions);
                _offersTools = requestOptions?.Tools is { Count: > 0 };
                _answer = meter._captureContent && _activity is { IsAllDataRequested: true } ? [] : null;
                _phase = Phase.Streaming;

                // The overall deadline covers the whole stream, its last token included.
                _deadline = meter._requestTimeout is { } timeout ? new CancellationTokenSource(timeout, meter._timeProvider) : null;
                _linked = _deadline is null ? null : CancellationTokenSource.CreateLinkedTokenSource(Token, _deadline.Token);
                var token = _linked?.Token ?? Token;
                _next = _updates = meter.InnerClient.GetStreamingResponseAsync(messages, requestOptions, token).GetAsyncEnumerator(token);
            }

            private async ValueTask<bool> AwaitAsync(ValueTask<bool> next)
            {
                bool moved;
                try
                {
                    moved = await next.ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    return await FailAsync(ex).ConfigureAwait(false);
                }

                return Moved(moved);
            }

            /// <summary>Passes an update on; after the last, the outcome's update.</summary>
            private bool Moved(bool moved)
            {
                if (moved)
                {
                    var update = _next!.Current;
                    _committed = true;
                    if (update.FinishReason is { } finishReason)
                    {
                        _finishReason = finishReason;
                    }

                    // Only a request that offers tools can be answered with a call of one.
                    if (_offersTools && !_asksForTool)
                    {
                        _asksForTool = RouteOutcomes.AsksForTool(update);
                    }

                    _answer?.Add(update);
                    Current = update;
                    return true;
                }

                _outcome = meter.BuildOutcome(_request, _started, _activity, committed: true, failed: false);
                Current = RouteOutcomes.CarrierUpdate(_outcome, _asksForTool ? _request.Sequence : 0);
                meter.TagAnswer(_activity, _finishReason, _answer?.ToChatResponse().Messages);
                _phase = Phase.OutcomeSent;
                return true;
            }

            /// <summary>
            /// A read failed: the failure gets the outcome (a passed deadline becomes the <see cref="TimeoutException"/>, a
            /// failure after output reached the caller a <see cref="StreamInterruptedException"/>), the request is recorded,
            /// and then the caller hears of it.
            /// </summary>
            private async ValueTask<bool> FailAsync(Exception exception)
            {
                // The layers read past (the breaker among them) hear of it as if it had passed through them.
                Forwarding.ReportFailure(_updates, _next, exception);
                var failure = exception;
                if (!(exception is OperationCanceledException && Token.IsCancellationRequested))
                {
                    if (_deadline is { IsCancellationRequested: true })
                    {
                        failure = new TimeoutException(
                            $"The stream did not finish within HybridInference:Routing:RequestTimeout ({meter._requestTimeout}); every attempt was cancelled.", exception);
                    }

                    if (_committed)
                    {
                        var backend = _request.Attempts.LastBackend?.Name ?? "unknown";
                        failure = new StreamInterruptedException(
                            $"The stream from backend '{backend}' failed after output had reached the caller, so it was not retried or moved elsewhere; the answer received is incomplete.",
                            failure);
                    }
                }

                meter.WithOutcome(failure, _request, _started, _activity, _committed, out _outcome);
                var thrown = ExceptionDispatchInfo.Capture(failure);
                await FinishAsync().ConfigureAwait(false);
                thrown.Throw();
                return false;
            }

            private ValueTask<bool> EndAsync()
            {
                var finishing = FinishAsync();
                return finishing.IsCompletedSuccessfully ? new(false) : AwaitEndAsync(finishing);
            }

            private static async ValueTask<bool> AwaitEndAsync(ValueTask finishing)
            {
                await finishing.ConfigureAwait(false);
                return false;
            }

            /// <summary>Lets go of the stream below, then records the request once (a caller that stops reading early ends it without an error).</summary>
            private ValueTask FinishAsync()
            {
                _phase = Phase.Done;
                ValueTask disposing;
                try
                {
                    disposing = _updates?.DisposeAsync() ?? default;
                }
                catch
                {
                    Record();
                    throw;
                }

                if (!disposing.IsCompletedSuccessfully)
                {
                    return FinishSlowAsync(disposing);
                }

                Record();
                return default;
            }

            private async ValueTask FinishSlowAsync(ValueTask disposing)
            {
                try
                {
                    await disposing.ConfigureAwait(false);
                }
                finally
                {
                    Record();
                }
            }

            private void Record()
            {
                try
                {
                    var outcome = _outcome ??= meter.BuildOutcome(_request, _started, _activity, _committed, failed: false);
                    meter.RecordTask(outcome);
                    meter.Notify(outcome);
                }
                finally
                {
                    _linked?.Dispose();
                    _deadline?.Dispose();
                    _activity?.Dispose();
                    cancellation.Dispose();
                }
            }
        }
    }
}
