using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Text;
using HybridInference.Tokens;
using HybridInference.Internal;
using Microsoft.Extensions.AI;

namespace HybridInference.Pools;

/// <summary>The backend's streams.</summary>
internal sealed partial class BackendChatClient
{
    /// <summary>
    /// One streamed call: takes the backend's slot when reading starts, counts the call as an attempt of the request,
    /// meters what it produced when it ends (or the caller stops reading), and ends a stream that stalls.
    /// </summary>
    /// <remarks>
    /// Hand-written rather than an async iterator: an update the backend has ready passes with no state machine and no
    /// clock reading. The silence bound (<see cref="SilenceWatch"/>) counts only the time an update is awaited, so a
    /// wait is marked only when the backend's next update is not ready at once. It ends a stream that stalls (before
    /// its first token or between two) however the server keeps the connection busy: role-only or empty chunks,
    /// keep-alive comments, a byte at a time; HttpClient's timeout does not cover reading a body. Until the first token
    /// the time-to-first-token limit applies instead, when it is the shorter.
    /// </remarks>
    private sealed class MeteredStream(
        BackendChatClient client, IEnumerable<ChatMessage> messages, ChatOptions? options, TimeSpan? timeToFirstToken, CancellationToken requestCancellation)
        : IAsyncEnumerable<ChatResponseUpdate>
    {
        public IAsyncEnumerator<ChatResponseUpdate> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
            new Enumerator(client, messages, options, timeToFirstToken, StreamCancellation.Combine(requestCancellation, cancellationToken));

        private sealed class Enumerator(
            BackendChatClient client, IEnumerable<ChatMessage> messages, ChatOptions? options, TimeSpan? timeToFirstToken, StreamCancellation cancellation)
            : IAsyncEnumerator<ChatResponseUpdate>
        {
            private bool _started;
            private bool _holdsSlot;
            private bool _trial;
            private bool _recorded;
            private bool _done;
            private bool _ended;
            private RequestState? _request;
            private Activity? _activity;
            private long _startedAt;
            private TimeSpan? _firstTokenLimit;
            private SilenceWatch? _silence;
            private CancellationTokenSource? _linked;
            private IAsyncEnumerator<ChatResponseUpdate>? _updates;
            private UsageDetails? _usage;
            private string? _modelId;
            private ChatFinishReason? _finishReason;
            private int _outputChars;
            private bool _yieldedContent;

            // Only for the all-cloud baseline, and only when a cloud model is priced: the answer's estimate, and its text
            // when a priced cloud model has an exact counter to count it with.
            private HeuristicTokenCounter.Streamed _answerEstimate;
            private StringBuilder? _answerText;
            private bool _countsAnswer;

            public ChatResponseUpdate Current { get; private set; } = null!;

            private CancellationToken Token => cancellation.Token;

            public ValueTask<bool> MoveNextAsync()
            {
                if (_recorded || _done)
                {
                    return new(false);
                }

                if (!_started)
                {
                    try
                    {
                        Start();
                    }
                    catch (Exception ex)
                    {
                        return ValueTask.FromException<bool>(ex);
                    }
                }

                ValueTask<bool> next;
                try
                {
                    next = _updates!.MoveNextAsync();
                }
                catch (Exception ex)
                {
                    return FailAsync(ExceptionDispatchInfo.Capture(Failed(ex)));
                }

                if (next.IsCompletedSuccessfully)
                {
                    return Moved(next.Result) ? new(true) : EndAsync();
                }

                _silence!.BeginWait();
                return AwaitAsync(next);
            }

            public ValueTask DisposeAsync()
            {
                if (_done)
                {
                    return default;
                }

                _done = true;
                if (!_started || _updates is null)
                {
                    End();
                    return default;
                }

                ValueTask disposing;
                try
                {
                    disposing = _updates.DisposeAsync();
                }
                catch
                {
                    End();
                    throw;
                }

                if (!disposing.IsCompletedSuccessfully)
                {
                    return DisposeSlowAsync(disposing);
                }

                Finish();
                return default;
            }

            private async ValueTask DisposeSlowAsync(ValueTask disposing)
            {
                try
                {
                    await disposing.ConfigureAwait(false);
                }
                catch
                {
                    End();
                    throw;
                }

                Finish();
            }

            /// <summary>Records the call, unless a failure has, and lets go of what it holds.</summary>
            private void Finish()
            {
                try
                {
                    if (!_recorded)
                    {
                        // Ended, or the caller stopped reading: the call is in the log all the same, with what it produced.
                        // Without reported usage, output is estimated from its length (about four characters a token).
                        _recorded = true;
                        client.Complete(
                            _request, _activity, _usage ?? new UsageDetails { OutputTokenCount = (_outputChars + 3) / 4 }, _modelId, _startedAt, _finishReason, _yieldedContent,
                            new Answer(messages, options, Response: null, _answerText, _answerEstimate.Total()));
                    }
                }
                finally
                {
                    End();
                }
            }

            /// <summary>Takes the slot and starts the call, as the first read does.</summary>
            private void Start()
            {
                _started = true;
                _trial = client.Acquire();
                _holdsSlot = true;
                try
                {
                    _request = client.BeginAttempt(options);
                    _activity = client.StartActivity(_request);
                    _startedAt = client._timeProvider.GetTimestamp();
                    _answerText = client._costs.NeedsAnswerText ? new StringBuilder() : null;
                    _countsAnswer = client._costs.HasCloudBaseline;
                    var timeout = client.Info.Timeout;
                    _firstTokenLimit = timeToFirstToken is { } limit && limit < timeout ? limit : null;
                    _silence = new SilenceWatch(client._timeProvider, _firstTokenLimit ?? timeout, timeout);
                    _linked = CancellationTokenSource.CreateLinkedTokenSource(Token, _silence.Token);
                    try
                    {
                        _updates = client.InnerClient.GetStreamingResponseAsync(messages, options, _linked.Token).GetAsyncEnumerator(_linked.Token);
                    }
                    catch (Exception ex)
                    {
                        _recorded = true;
                        client.Fail(_request, _activity, ex, _startedAt, Token);
                        throw;
                    }
                }
                catch
                {
                    End();
                    throw;
                }
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
                    var failure = Failed(ex);
                    return await FailAsync(ReferenceEquals(failure, ex) ? ExceptionDispatchInfo.Capture(ex) : ExceptionDispatchInfo.Capture(failure)).ConfigureAwait(false);
                }

                if (Moved(moved))
                {
                    return true;
                }

                await EndAsync().ConfigureAwait(false);
                return false;
            }

            /// <summary>
            /// A read failed (and was recorded): what the call holds is let go of before the caller hears of it, as an async
            /// iterator's <c>finally</c> runs, so its slot is free for the failover that follows.
            /// </summary>
            private async ValueTask<bool> FailAsync(ExceptionDispatchInfo failure)
            {
                await DisposeAsync().ConfigureAwait(false);
                failure.Throw();
                return false;
            }

            /// <summary>
            /// The stream is over: the call is recorded and what it holds let go of at once, before the caller hears of
            /// the end (as an async iterator's <c>finally</c> runs), so the layers above find the attempt in the log.
            /// </summary>
            private ValueTask<bool> EndAsync()
            {
                var disposing = DisposeAsync();
                return disposing.IsCompletedSuccessfully ? new(false) : AwaitEndAsync(disposing);
            }

            private static async ValueTask<bool> AwaitEndAsync(ValueTask disposing)
            {
                await disposing.ConfigureAwait(false);
                return false;
            }

            /// <summary>Takes in the update just read, if any.</summary>
            private bool Moved(bool moved)
            {
                if (!moved)
                {
                    return false;
                }

                // One pass over the contents: the token check for the silence bound (as StartedStream.HasToken), usage,
                // and output counting. Text, the usual content, is told by its exact (sealed) type first.
                var update = _updates!.Current;
                var token = update.FinishReason is not null;
                if (_modelId is null && update.ModelId is { } modelId)
                {
                    _modelId = modelId;
                }

                if (update.FinishReason is { } finishReason)
                {
                    _finishReason = finishReason;
                }

                foreach (var content in UpdateContents.Of(update))
                {
                    if (content is TextContent text)
                    {
                        var length = text.Text.Length;
                        if (length > 0)
                        {
                            token = true;
                            _outputChars += length;
                            _yieldedContent = true;
                            if (_countsAnswer)
                            {
                                _answerEstimate.Append(text.Text);
                                _answerText?.Append(text.Text);
                            }
                        }
                    }
                    else if (content is UsageContent usageContent)
                    {
                        (_usage ??= new UsageDetails()).Add(usageContent.Details);
                    }
                    else if (content is TextReasoningContent { Text.Length: > 0 })
                    {
                        token = true;
                    }
                    else if (content is FunctionCallContent)
                    {
                        token = true;
                        _yieldedContent = true;
                    }
                }

                _silence!.EndWait(token);
                Current = update;
                return true;
            }

            /// <summary>Records a failed read; a stream the silence bound ended fails as the backend's timeout.</summary>
            private Exception Failed(Exception exception)
            {
                _activity?.SetTag("hybrid.output_committed", _yieldedContent);
                _recorded = true;
                if (_silence!.Expired && !Token.IsCancellationRequested)
                {
                    var info = client.Info;
                    var timeout = new BackendException(
                        BackendErrorKind.Timeout,
                        !_silence.HadToken && _firstTokenLimit is { } first
                            ? $"Backend '{info.Name}' produced no token within the time-to-first-token limit of {first.TotalSeconds:0.###} s, HybridInference:{info.Lane}:TimeToFirstToken."
                            : $"Backend '{info.Name}' sent no token for {Http.SettingText.Timeout(info.Timeout, info.TimeoutKey)}; the stream was abandoned.",
                        innerException: exception);
                    client.Fail(_request, _activity, timeout, _startedAt, Token);
                    return timeout;
                }

                client.Fail(_request, _activity, exception, _startedAt, Token);
                return exception;
            }

            /// <summary>Lets go of what the call holds: its cancellation, silence bound, span and slot.</summary>
            private void End()
            {
                if (_ended)
                {
                    return;
                }

                _ended = true;
                _answerEstimate.Release();
                _linked?.Dispose();
                _silence?.Dispose();
                _activity?.Dispose();
                cancellation.Dispose();
                if (_holdsSlot)
                {
                    client.State.Release(_trial);
                }
            }
        }
    }
}
