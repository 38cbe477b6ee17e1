using HybridInference.Errors;
using HybridInference.Internal;
using HybridInference.Pools;
using HybridInference.Telemetry;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.CircuitBreaker;

namespace HybridInference.CircuitBreaker;

/// <summary>
/// Guards a lane with a Polly circuit breaker: when the ratio of failed attempts over the sampling window passes the
/// threshold, or <see cref="RoutingOptions.FailuresBeforeBreak"/> attempts fail in a row (a dead or stalled server
/// at low traffic), the circuit opens and calls fail fast until the break is over: after
/// <see cref="RoutingOptions.BreakDuration"/>, or as soon as a health probe of a backend in the lane passes (the pool's
/// <see cref="LaneHealthSignal"/>), the next call is the half-open trial. Its state (<see cref="LaneCircuit"/>,
/// through <see cref="GetService"/>) is an input of the router: while the local circuit is open, routable traffic goes
/// to the cloud; while the cloud circuit is open, cloud-preferred traffic that may run locally goes local. A local call
/// refused fails with <see cref="BrokenCircuitException"/> (the fallback escalates it); a cloud call refused with a
/// <see cref="BackendException"/> of kind <see cref="BackendErrorKind.Unavailable"/> that says so.
/// </summary>
/// <remarks>
/// What counts is <see cref="Failures.CountsAgainstBreaker"/>: errors and timeouts, and an answer that failed JSON
/// Schema validation (an <see cref="OutputValidationException"/> from the lane's JSON validation below); not the
/// caller's cancellation, a prompt too long for the window, or a request the server rejected as bad. A stream counts
/// as one attempt that ends when the stream ends, so a failure mid-stream counts as well.
/// </remarks>
internal sealed class CircuitBreakerChatClient : DelegatingChatClient
{
    private readonly ResiliencePipeline<ChatResponse?> _pipeline;
    private readonly LaneCircuit _circuit;
    private readonly CircuitBreakerStateProvider _ratio;
    private readonly ILogger _logger;
    private readonly int _failuresBeforeBreak;
    private int _failuresInARow;
    private volatile bool _disposed;

    /// <summary>Initializes a new instance of the <see cref="CircuitBreakerChatClient"/> class.</summary>
    /// <param name="innerClient">The rest of the lane.</param>
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

        var clock = new LaneClock(timeProvider);
        var circuit = _circuit = new LaneCircuit(
            lane, clock, lane == BackendLane.Local ? options.RecoveryRamp : TimeSpan.Zero, innerClient.GetService<LaneHealthSignal>());
        _logger = logger;
        _failuresBeforeBreak = options.FailuresBeforeBreak;
        _ratio = new CircuitBreakerStateProvider();
        var ratioControl = new CircuitBreakerManualControl();

        // Two Polly breakers on the lane's clock. The outer one is the lane's: the router reads it, and it opens when
        // the failure-ratio breaker inside opens (on the same failure), after FailuresBeforeBreak failures in a row
        // (whatever the traffic: with its ratio at 0 and a day's window, it opens on the first failure it is told to
        // handle), or when its trial fails. The inner one keeps the ratio over the sampling window; its breaks lie
        // within the outer's, and it starts afresh whenever the lane's circuit closes.
        _pipeline = new ResiliencePipelineBuilder<ChatResponse?> { TimeProvider = clock }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<ChatResponse?>
            {
                Name = "lane",
                FailureRatio = 0,
                MinimumThroughput = 2,
                SamplingDuration = TimeSpan.FromDays(1),
                BreakDuration = options.BreakDuration,
                StateProvider = circuit.Polly,
                ShouldHandle = args => new ValueTask<bool>(ShouldBreak(args.Outcome.Exception, args.Context.CancellationToken)),
                OnOpened = args =>
                {
                    var cause = _ratio.CircuitState is CircuitState.Open ? "failures passed the threshold over the sampling window"
                        : circuit.State is CircuitState.HalfOpen ? "the trial request failed"
                        : $"{_failuresBeforeBreak} attempts failed in a row";
                    Volatile.Write(ref _failuresInARow, 0);
                    circuit.Opened(args.BreakDuration);
                    Log.CircuitOpened(logger, lane, args.BreakDuration, Log.Describe(args.Outcome.Exception), cause);
                    return default;
                },
                OnClosed = _ =>
                {
                    Volatile.Write(ref _failuresInARow, 0);
                    circuit.Closed();
                    Log.CircuitClosed(logger, lane);
                    return new ValueTask(ratioControl.CloseAsync());
                },
                OnHalfOpened = _ =>
                {
                    circuit.HalfOpened();
                    Log.CircuitHalfOpened(logger, lane);
                    return default;
                },
            })
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<ChatResponse?>
            {
                Name = "failure-ratio",
                FailureRatio = options.EscalationThreshold,
                SamplingDuration = options.SamplingWindow,
                MinimumThroughput = options.MinimumThroughput,
                BreakDuration = options.BreakDuration,
                StateProvider = _ratio,
                ManualControl = ratioControl,
                ShouldHandle = args => new ValueTask<bool>(args.Outcome.Exception is { } ex && CountFailure(circuit, ex, args.Context.CancellationToken)),
                OnOpened = args =>
                {
                    circuit.RatioOpened(args.BreakDuration);
                    return default;
                },
            })
            .Build();
    }

    /// <summary>Gets the breaker's state.</summary>
    public LaneCircuit Circuit => _circuit;

    public override async Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        EndBreakIfProbePassed();
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        try
        {
            var outcome = await _pipeline.ExecuteOutcomeAsync(
                static async (context, state) =>
                {
                    try
                    {
                        return Outcome.FromResult<ChatResponse?>(
                            await state.Client.InnerClient.GetResponseAsync(state.Messages, state.Options, context.CancellationToken).ConfigureAwait(false));
                    }
                    catch (Exception ex)
                    {
                        return Outcome.FromException<ChatResponse?>(ex);
                    }
                },
                context,
                (Client: this, Messages: messages, Options: options)).ConfigureAwait(false);

            ThrowIfException(outcome);
            return outcome.Result!;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return new GuardedStream(this, messages, options, cancellationToken);
    }

    public override object? GetService(Type serviceType, object? serviceKey = null)
    {
        ArgumentNullException.ThrowIfNull(serviceType);
        return serviceKey is not null ? base.GetService(serviceType, serviceKey)
            : serviceType == typeof(LaneCircuit) ? _circuit
            : serviceType == typeof(CircuitBreakerStateProvider) ? _circuit.Polly
            : base.GetService(serviceType, serviceKey);
    }

    protected override void Dispose(bool disposing)
    {
        _disposed = true;
        base.Dispose(disposing);
    }

    /// <summary>Rethrows a failed attempt; a cloud call the open circuit refused becomes a <see cref="BackendException"/> that says so.</summary>
    private void ThrowIfException(Outcome<ChatResponse?> outcome)
    {
        if (_circuit.Lane == BackendLane.Cloud && outcome.Exception is BrokenCircuitException broken)
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

    /// <summary>Counts a failure the breaker counts (the ratio breaker's predicate: each attempt reaches it once), by its reason.</summary>
    private static bool CountFailure(LaneCircuit circuit, Exception exception, CancellationToken cancellationToken)
    {
        if (!Failures.CountsAgainstBreaker(exception, cancellationToken))
        {
            return false;
        }

        circuit.Count(Failures.CircuitReason(exception));
        return true;
    }

    /// <summary>
    /// The lane breaker's predicate: whether an attempt's outcome opens the lane's circuit. A success resets the
    /// failures in a row; a failure the breaker counts opens it when it is the <c>FailuresBeforeBreak</c>th in a row,
    /// when the ratio breaker inside has opened, or when it is the half-open trial's.
    /// </summary>
    private bool ShouldBreak(Exception? exception, CancellationToken cancellationToken)
    {
        if (exception is null)
        {
            Volatile.Write(ref _failuresInARow, 0);
            return false;
        }

        if (!Failures.CountsAgainstBreaker(exception, cancellationToken))
        {
            return false;
        }

        var inARow = Interlocked.Increment(ref _failuresInARow);
        return inARow >= _failuresBeforeBreak || _circuit.State is CircuitState.HalfOpen || _ratio.CircuitState is CircuitState.Open;
    }

    /// <summary>Ends the break before a call when a health probe of the lane passed since the circuit opened.</summary>
    private void EndBreakIfProbePassed()
    {
        if (_circuit.EndBreakIfProbePassed())
        {
            Log.CircuitBreakEndedByProbe(_logger, _circuit.Lane);
        }
    }

    /// <summary>
    /// A stream run inside the breaker's pipeline: the pipeline's callback starts the stream, reports the first
    /// update, and completes only when the caller has finished reading, with the stream's outcome. Past the first
    /// update, each one comes straight from the lane below; only a failure takes a slower path, to be recorded.
    /// </summary>
    private sealed class GuardedStream(CircuitBreakerChatClient client, IEnumerable<ChatMessage> messages, ChatOptions? options, CancellationToken requestCancellation)
        : IAsyncEnumerable<ChatResponseUpdate>
    {
        public IAsyncEnumerator<ChatResponseUpdate> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
            new Enumerator(client, new StreamingAttempt(client.InnerClient, messages, options), StreamCancellation.Combine(requestCancellation, cancellationToken));

        private sealed class Enumerator(CircuitBreakerChatClient client, StreamingAttempt attempt, StreamCancellation cancellation) : IAsyncEnumerator<ChatResponseUpdate>
        {
            private ResilienceContext? _context;
            private Task<Outcome<ChatResponse?>>? _execution;
            private bool _started;

            public ChatResponseUpdate Current => attempt.Updates!.Current;

            public ValueTask<bool> MoveNextAsync()
            {
                if (!_started)
                {
                    return StartAsync();
                }

                ValueTask<bool> next;
                try
                {
                    next = attempt.Updates!.MoveNextAsync();
                }
                catch (Exception ex)
                {
                    attempt.Finish(ex);
                    throw;
                }

                return next.IsCompletedSuccessfully ? next : AwaitAsync(next);
            }

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

                return await attempt.Started.ConfigureAwait(false);
            }

            private async ValueTask<bool> AwaitAsync(ValueTask<bool> next)
            {
                try
                {
                    return await next.ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    attempt.Finish(ex);
                    throw;
                }
            }
        }
    }

    /// <summary>The stream's attempt as the pipeline runs it: started inside the callback, which ends when the caller is done.</summary>
    private sealed class StreamingAttempt(IChatClient inner, IEnumerable<ChatMessage> messages, ChatOptions? options)
    {
        private readonly TaskCompletionSource<bool> _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<Outcome<ChatResponse?>> _finished = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task<bool> Started => _started.Task;

        public IAsyncEnumerator<ChatResponseUpdate>? Updates { get; private set; }

        public async ValueTask<Outcome<ChatResponse?>> RunAsync(CancellationToken cancellationToken)
        {
            try
            {
                Updates = inner.GetStreamingResponseAsync(messages, options, cancellationToken).GetAsyncEnumerator(cancellationToken);
                _started.TrySetResult(await Updates.MoveNextAsync().ConfigureAwait(false));
            }
            catch (Exception ex)
            {
                return Outcome.FromException<ChatResponse?>(ex);
            }

            return await _finished.Task.ConfigureAwait(false);
        }

        public void Finish(Exception? exception) =>
            _finished.TrySetResult(exception is null ? Outcome.FromResult<ChatResponse?>(null) : Outcome.FromException<ChatResponse?>(exception));
    }
}
