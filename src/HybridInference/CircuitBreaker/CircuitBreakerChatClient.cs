using System.Runtime.CompilerServices;
using HybridInference.Internal;
using HybridInference.Telemetry;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;

namespace HybridInference.CircuitBreaker;

/// <summary>
/// Guards a lane with a Polly circuit breaker: when the ratio of failed attempts over the sampling window passes the
/// threshold, the circuit opens and calls fail fast until the break is over. The router reads the state: while the
/// local circuit is open, routable traffic goes to the cloud; while the cloud circuit is open, cloud-preferred
/// traffic that may run locally goes local. A local call refused fails with <see cref="BrokenCircuitException"/>
/// (the fallback escalates it); a cloud call refused with a <see cref="BackendException"/> of kind
/// <see cref="BackendErrorKind.Unavailable"/> that says so.
/// </summary>
/// <remarks>
/// <para>
/// Failures are exceptions (timeouts included) and answers that fail the request's
/// <see cref="HybridRequest.LocalResponseCheck"/> (schema validation). Not failures: the caller's cancellation, and
/// a <see cref="ContextWindowExceededException"/>, which says the prompt was too long, not that the server is sick,
/// and a request the server rejected as bad (<see cref="BackendErrorKind.BadRequest"/>) or the client refused
/// (<see cref="ArgumentException"/>), which is the caller's mistake.
/// </para>
/// <para>
/// A stream counts as one attempt that ends when the stream ends, so a failure mid-stream counts as well. The
/// state is exposed through <see cref="GetService"/> as a <see cref="CircuitBreakerStateProvider"/>.
/// </para>
/// </remarks>
internal sealed class CircuitBreakerChatClient : DelegatingChatClient
{
    private readonly ResiliencePipeline<LocalAttempt> _pipeline;
    private readonly CircuitBreakerStateProvider _state = new();
    private readonly TimeProvider _timeProvider;
    private readonly TimeSpan _recoveryRamp;
    private readonly BackendLane _lane;
    private readonly long[] _failures = new long[Enum.GetValues<CircuitFailureReason>().Length];
    private readonly Lock _rampGate = new();
    private long _openUntilTicks;
    private long _closedAtTicks;
    private double _rampCredit;
    private volatile bool _disposed;

    /// <summary>Initializes a new instance of the <see cref="CircuitBreakerChatClient"/> class.</summary>
    /// <param name="innerClient">The lane's pool.</param>
    /// <param name="options">The thresholds, shared by both lanes; the recovery ramp applies to the local lane only.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="logger">The logger for state changes.</param>
    /// <param name="lane">The lane guarded.</param>
    public CircuitBreakerChatClient(IChatClient innerClient, RoutingOptions options, TimeProvider timeProvider, ILogger logger, BackendLane lane = BackendLane.Local)
        : base(innerClient)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);

        _timeProvider = timeProvider;
        _lane = lane;
        _recoveryRamp = lane == BackendLane.Local ? options.RecoveryRamp : TimeSpan.Zero;
        var breakDuration = options.BreakDuration;
        _pipeline = new ResiliencePipelineBuilder<LocalAttempt> { TimeProvider = timeProvider }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<LocalAttempt>
            {
                FailureRatio = options.EscalationThreshold,
                SamplingDuration = options.SamplingWindow,
                MinimumThroughput = options.MinimumThroughput,
                BreakDuration = breakDuration,
                StateProvider = _state,
                ShouldHandle = args => new ValueTask<bool>(CountFailure(args.Outcome, args.Context.CancellationToken)),
                OnOpened = args =>
                {
                    Volatile.Write(ref _openUntilTicks, (timeProvider.GetUtcNow() + args.BreakDuration).UtcTicks);
                    Log.CircuitOpened(logger, lane, args.BreakDuration, Log.Describe(args.Outcome.Exception));
                    return default;
                },
                OnClosed = _ =>
                {
                    Volatile.Write(ref _closedAtTicks, timeProvider.GetUtcNow().UtcTicks);
                    Log.CircuitClosed(logger, lane);
                    return default;
                },
                OnHalfOpened = _ =>
                {
                    Log.CircuitHalfOpened(logger, lane);
                    return default;
                },
            })
            .Build();
    }

    /// <summary>Gets the breaker's state.</summary>
    public CircuitBreakerStateProvider State => _state;

    /// <summary>Gets the lane the breaker guards.</summary>
    public BackendLane Lane => _lane;

    /// <summary>Gets the failures counted since start, by reason.</summary>
    public IReadOnlyDictionary<CircuitFailureReason, long> Failures =>
        Enum.GetValues<CircuitFailureReason>().ToDictionary(r => r, r => Interlocked.Read(ref _failures[(int)r]));

    /// <summary>
    /// Gets a value indicating whether a routable request should still go to the cloud because the circuit closed
    /// less than <see cref="RoutingOptions.RecoveryRamp"/> ago: local takes a share of the traffic that grows from
    /// nothing to all of it over the ramp, spread evenly (every n-th request), not at random.
    /// </summary>
    public bool ShouldRampToCloud()
    {
        var closedAt = Volatile.Read(ref _closedAtTicks);
        if (closedAt == 0 || _recoveryRamp <= TimeSpan.Zero || _state.CircuitState != CircuitState.Closed)
        {
            return false;
        }

        var elapsed = _timeProvider.GetUtcNow().UtcTicks - closedAt;
        if (elapsed >= _recoveryRamp.Ticks)
        {
            return false;
        }

        var localShare = (double)elapsed / _recoveryRamp.Ticks;
        lock (_rampGate)
        {
            _rampCredit += localShare;
            if (_rampCredit >= 1)
            {
                _rampCredit -= 1;
                return false;
            }

            return true;
        }
    }

    /// <summary>
    /// Gets a value indicating whether the breaker would reject a local call now. Polly moves an open circuit to
    /// half-open only when a call arrives after the break, so the router must send one: once the break is over this
    /// is <see langword="false"/> although the state still reads <see cref="CircuitState.Open"/>.
    /// </summary>
    public bool IsRejecting => _state.CircuitState switch
    {
        CircuitState.Isolated => true,
        CircuitState.Open => _timeProvider.GetUtcNow().UtcTicks < Volatile.Read(ref _openUntilTicks),
        _ => false,
    };

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        try
        {
            var outcome = await _pipeline.ExecuteOutcomeAsync(
                static async (context, state) =>
                {
                    try
                    {
                        var response = await state.Client.InnerClient.GetResponseAsync(state.Messages, state.Options, context.CancellationToken).ConfigureAwait(false);
                        var check = HybridRequest.Find(state.Options) is { LocalResponseCheck: { } c } request && !c.Passes(response, request, context.CancellationToken);
                        return Outcome.FromResult(new LocalAttempt(response, check));
                    }
                    catch (Exception ex)
                    {
                        return Outcome.FromException<LocalAttempt>(ex);
                    }
                },
                context,
                (Client: this, Messages: messages, Options: options)).ConfigureAwait(false);

            ThrowIfException(outcome);
            return outcome.Result.Response!;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    public override async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var attempt = new StreamingAttempt(InnerClient, messages, options);
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        var execution = _pipeline.ExecuteOutcomeAsync(static (context, attempt) => attempt.RunAsync(context.CancellationToken), context, attempt).AsTask();
        try
        {
            // Either the stream has produced its first update (or ended empty), or the breaker rejected the call
            // or the backend failed before anything came.
            await Task.WhenAny(attempt.Started, execution).ConfigureAwait(false);
            if (!attempt.Started.IsCompleted)
            {
                ThrowIfException(await execution.ConfigureAwait(false));
                yield break;
            }

            if (!await attempt.Started.ConfigureAwait(false))
            {
                yield break;
            }

            yield return attempt.Updates!.Current;
            while (true)
            {
                ChatResponseUpdate update;
                try
                {
                    if (!await attempt.Updates.MoveNextAsync().ConfigureAwait(false))
                    {
                        break;
                    }

                    update = attempt.Updates.Current;
                }
                catch (Exception ex)
                {
                    attempt.Finish(ex);
                    throw;
                }

                yield return update;
            }
        }
        finally
        {
            // Ends the pipeline's callback, so the breaker records the stream's outcome exactly once.
            attempt.Finish(null);
            await execution.ConfigureAwait(false);
            if (attempt.Updates is not null)
            {
                await attempt.Updates.DisposeAsync().ConfigureAwait(false);
            }

            ResilienceContextPool.Shared.Return(context);
        }
    }

    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is null && serviceType == typeof(CircuitBreakerStateProvider)
            ? _state
            : base.GetService(serviceType, serviceKey);
    }

    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        base.Dispose(disposing);
    }

    /// <summary>Rethrows a failed attempt; a cloud call the open circuit refused becomes a <see cref="BackendException"/> that says so.</summary>
    private void ThrowIfException(Outcome<LocalAttempt> outcome)
    {
        if (_lane == BackendLane.Cloud && outcome.Exception is BrokenCircuitException broken)
        {
            var retry = broken.RetryAfter is { } after ? $" for another {after.TotalSeconds:0.#} s" : string.Empty;
            throw new BackendException(
                BackendErrorKind.Unavailable,
                $"The cloud lane's circuit breaker is open{retry}: too many cloud calls failed in the sampling window, so nothing was sent.",
                retryAfter: broken.RetryAfter,
                innerException: broken);
        }

        outcome.ThrowIfException();
    }

    private bool CountFailure(Outcome<LocalAttempt> outcome, CancellationToken cancellationToken)
    {
        if (!IsFailure(outcome, cancellationToken))
        {
            return false;
        }

        var reason = outcome.Exception switch
        {
            null => CircuitFailureReason.Validation,
            BackendException { Kind: BackendErrorKind.Timeout } or TimeoutException or OperationCanceledException => CircuitFailureReason.Timeout,
            BackendException { Kind: BackendErrorKind.Disconnected } => CircuitFailureReason.Disconnected,
            BackendException { Kind: BackendErrorKind.Unavailable } or HttpRequestException => CircuitFailureReason.Refused,
            BackendException { Kind: BackendErrorKind.ServerError or BackendErrorKind.ModelLoading or BackendErrorKind.StreamError or BackendErrorKind.MalformedResponse } => CircuitFailureReason.ServerError,
            _ => CircuitFailureReason.Other,
        };
        Interlocked.Increment(ref _failures[(int)reason]);
        return true;
    }

    private static bool IsFailure(Outcome<LocalAttempt> outcome, CancellationToken cancellationToken) => outcome.Exception switch
    {
        null => outcome.Result.FailedCheck,
        OperationCanceledException when cancellationToken.IsCancellationRequested => false,
        ContextWindowExceededException => false,

        // The request's own fault (the server rejected it, or the client refused it or cannot send it), not the lane's health.
        ArgumentException or NotSupportedException or BackendException { Kind: BackendErrorKind.BadRequest } => false,
        BackendException { Kind: BackendErrorKind.Saturated or BackendErrorKind.Unsupported } => false,
        _ => true,
    };

    /// <summary>
    /// A stream run inside the breaker's pipeline: the pipeline's callback starts the stream, reports the first
    /// update, and completes only when the caller has finished reading, with the stream's outcome.
    /// </summary>
    private sealed class StreamingAttempt(IChatClient inner, IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        private readonly TaskCompletionSource<bool> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<Outcome<LocalAttempt>> _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<bool> Started => _started.Task;

        public IAsyncEnumerator<ChatResponseUpdate>? Updates { get; private set; }

        public async ValueTask<Outcome<LocalAttempt>> RunAsync(CancellationToken cancellationToken)
        {
            try
            {
                Updates = inner.GetStreamingResponseAsync(messages, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
                _started.TrySetResult(await Updates.MoveNextAsync().ConfigureAwait(false));
            }
            catch (Exception ex)
            {
                return Outcome.FromException<LocalAttempt>(ex);
            }

            return await _finished.Task.ConfigureAwait(false);
        }

        public void Finish(Exception? exception) =>
            _finished.TrySetResult(exception is null ? Outcome.FromResult(default(LocalAttempt)) : Outcome.FromException<LocalAttempt>(exception));
    }
}
