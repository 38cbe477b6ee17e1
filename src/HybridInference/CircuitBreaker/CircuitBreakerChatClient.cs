using HybridInference.Errors;
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
internal sealed partial class CircuitBreakerChatClient : DelegatingChatClient
{
    private readonly ResiliencePipeline<Task<ChatResponse>?> _pipeline;
    private readonly ResiliencePipeline<Task<ChatResponse>?> _ratioPipeline;
    private readonly LaneCircuit _circuit;
    private readonly CircuitBreakerStateProvider _ratio;
    private readonly ILogger _logger;
    private readonly int _failuresBeforeBreak;
    private readonly LaneClock _clock;
    private int _failuresInARow;
    private volatile bool _disposed;

    /// <summary>Initializes a new instance of the <see cref="CircuitBreakerChatClient"/> class.</summary>
    /// <param name="innerClient">The rest of the lane.</param>
    /// <param name="options">The thresholds, shared by both lanes; the recovery ramp applies to the local lane only.</param>
    /// <param name="timeProvider">The clock.</param>
    /// <param name="logger">The logger for state changes.</param>
    /// <param name="lane">The lane guarded.</param>
    /// <param name="shared">The replicas' shared breaker decisions, joined when given.</param>
    public CircuitBreakerChatClient(
        IChatClient innerClient, RoutingOptions options, TimeProvider timeProvider, ILogger logger, BackendLane lane = BackendLane.Local, ISharedCircuitState? shared = null)
        : base(innerClient)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentNullException.ThrowIfNull(logger);

        var clock = _clock = new LaneClock(timeProvider);
        var circuit = _circuit = new LaneCircuit(
            lane, clock, lane == BackendLane.Local ? options.RecoveryRamp : TimeSpan.Zero, innerClient.GetService<LaneHealthSignal>());
        _logger = logger;
        _failuresBeforeBreak = options.FailuresBeforeBreak;
        _ratio = new CircuitBreakerStateProvider();
        var ratioControl = new CircuitBreakerManualControl();

        // Two Polly breakers on the lane's clock. The lane's breaker runs around every call: the router reads it, and it
        // opens when the failure-ratio breaker opens (on the same failure), after FailuresBeforeBreak failures in a row
        // (whatever the traffic: with its ratio at 0 and a day's window, it opens on the first failure it is told to
        // handle), or when its trial fails. The failure-ratio breaker keeps the ratio over the sampling window: the lane's
        // breaker hands it each call's outcome as it judges it (a pipeline whose callback returns that outcome, run
        // synchronously), so a call pays for one breaker around it, not two nested; its breaks lie within the lane's
        // (no call reaches it while the lane's circuit is open), and it starts afresh whenever the lane's circuit closes.
        _ratioPipeline = new ResiliencePipelineBuilder<Task<ChatResponse>?> { TimeProvider = clock }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<Task<ChatResponse>?>
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

        _pipeline = new ResiliencePipelineBuilder<Task<ChatResponse>?> { TimeProvider = clock }
            .AddCircuitBreaker(new CircuitBreakerStrategyOptions<Task<ChatResponse>?>
            {
                Name = "lane",
                FailureRatio = 0,
                MinimumThroughput = 2,
                SamplingDuration = TimeSpan.FromDays(1),
                BreakDuration = options.BreakDuration,
                StateProvider = circuit.Polly,
                ManualControl = _control,
                ShouldHandle = args => Judge(args.Outcome, args.Context),
                OnOpened = args =>
                {
                    if (args.IsManual)
                    {
                        // Another replica's decision (the only manual opening): rejecting until it ends.
                        circuit.Isolated();
                        Log.CircuitOpenedByOtherReplica(logger, lane, FollowedBreak);
                        return default;
                    }

                    var cause = _ratio.CircuitState is CircuitState.Open ? "failures passed the threshold over the sampling window"
                        : circuit.State is CircuitState.HalfOpen ? "the trial request failed"
                        : $"{_failuresBeforeBreak} attempts failed in a row";
                    Volatile.Write(ref _failuresInARow, 0);
                    circuit.Opened(args.BreakDuration);
                    Log.CircuitOpened(logger, lane, args.BreakDuration, Log.Describe(args.Outcome.Exception), cause);
                    _shared?.PublishOpened(lane, args.BreakDuration);
                    return default;
                },
                OnClosed = args =>
                {
                    Volatile.Write(ref _failuresInARow, 0);
                    Volatile.Write(ref _successHandedAtTicks, 0);
                    circuit.Closed();
                    Log.CircuitClosed(logger, lane);
                    if (!args.IsManual)
                    {
                        _shared?.PublishClosed(lane);
                    }

                    return new ValueTask(ratioControl.CloseAsync());
                },
                OnHalfOpened = _ =>
                {
                    circuit.HalfOpened();
                    Log.CircuitHalfOpened(logger, lane);
                    return default;
                },
            })
            .Build();
        if (shared is not null)
        {
            _shared = shared;
            _followedBreakTimer = clock.CreateTimer(
                static state => ((CircuitBreakerChatClient)state!).FollowedBreakEnded(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
            _subscription = shared.Subscribe(lane, FollowOpened, FollowClosed);
        }
    }

    /// <summary>Gets the breaker's state.</summary>
    public LaneCircuit Circuit => _circuit;

    /// <remarks>
    /// The pipeline's result is the lane's answer as a task, completed when the pipeline returns it: an answer the lane
    /// gives synchronously passes through the breaker as the very task it came in, with no async layer.
    /// </remarks>
    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_circuit.State == CircuitState.Closed)
        {
            return CallClosed(messages, options, cancellationToken);
        }

        EndBreakIfProbePassed();
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        ValueTask<Outcome<Task<ChatResponse>?>> execution;
        try
        {
            execution = _pipeline.ExecuteOutcomeAsync(
                static (context, state) =>
                {
                    Task<ChatResponse> answer;
                    try
                    {
                        answer = state.Client.InnerClient.GetResponseAsync(state.Messages, state.Options, context.CancellationToken);
                    }
                    catch (Exception ex)
                    {
                        return new(Outcome.FromException<Task<ChatResponse>?>(ex));
                    }

                    return answer.IsCompleted ? new(Completed(answer)) : AwaitAsync(answer);
                },
                context,
                (Client: this, Messages: messages, Options: options));
        }
        catch
        {
            ResilienceContextPool.Shared.Return(context);
            throw;
        }

        if (!execution.IsCompletedSuccessfully)
        {
            return AwaitAsync(execution, context);
        }

        ResilienceContextPool.Shared.Return(context);
        var outcome = execution.Result;
        return outcome.Exception is null ? outcome.Result! : Task.FromException<ChatResponse>(Failure(outcome.Exception));
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
        if (disposing)
        {
            _subscription?.Dispose();
            _followedBreakTimer?.Dispose();
        }

        base.Dispose(disposing);
    }

    /// <summary>The lane's answer as the pipeline's outcome: the completed task itself, or its failure.</summary>
    private static Outcome<Task<ChatResponse>?> Completed(Task<ChatResponse> answer) =>
        answer.IsCompletedSuccessfully ? Outcome.FromResult<Task<ChatResponse>?>(answer)
        : Outcome.FromException<Task<ChatResponse>?>(answer.IsCanceled ? new TaskCanceledException(answer) : answer.Exception!.InnerException ?? answer.Exception);

    private static async ValueTask<Outcome<Task<ChatResponse>?>> AwaitAsync(Task<ChatResponse> answer)
    {
        try
        {
            await answer.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            return Outcome.FromException<Task<ChatResponse>?>(ex);
        }

        return Outcome.FromResult<Task<ChatResponse>?>(answer);
    }

    private async Task<ChatResponse> AwaitAsync(ValueTask<Outcome<Task<ChatResponse>?>> execution, ResilienceContext context)
    {
        try
        {
            var outcome = await execution.ConfigureAwait(false);
            ThrowIfException(outcome);
            return await outcome.Result!.ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>Rethrows a failed attempt; a cloud call the open circuit refused becomes a <see cref="BackendException"/> that says so.</summary>
    private void ThrowIfException(Outcome<Task<ChatResponse>?> outcome)
    {
        if (outcome.Exception is { } exception)
        {
            var failure = Failure(exception);
            if (ReferenceEquals(failure, exception))
            {
                outcome.ThrowIfException();
            }

            throw failure;
        }
    }

    /// <summary>What a failed attempt is to the caller: itself, or for a cloud call the open circuit refused, a <see cref="BackendException"/> that says so.</summary>
    private Exception Failure(Exception exception)
    {
        if (_circuit.Lane == BackendLane.Cloud && exception is BrokenCircuitException broken)
        {
            var retry = broken.RetryAfter is { } after ? $" for another {after.TotalSeconds:0.#} s" : string.Empty;
            return new BackendException(
                BackendErrorKind.Unavailable,
                $"The cloud lane's circuit breaker is open{retry}: too many cloud calls failed in the sampling window, so nothing was sent.",
                retryAfter: broken.RetryAfter,
                innerException: broken);
        }

        return exception;
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
    /// The lane breaker's predicate, once per call: hands the outcome to the failure-ratio breaker, then tells whether it
    /// opens the lane's circuit (<see cref="ShouldBreak"/>).
    /// </summary>
    private ValueTask<bool> Judge(Outcome<Task<ChatResponse>?> outcome, ResilienceContext context)
    {
        // Polly runs the ratio breaker's bookkeeping synchronously around a callback that is already done; an outcome it
        // refuses while its own break lasts is not counted, as a call it refused would not have been.
        var counted = _ratioPipeline.ExecuteOutcomeAsync(static (_, outcome) => new ValueTask<Outcome<Task<ChatResponse>?>>(outcome), context, outcome);
        return counted.IsCompletedSuccessfully
            ? new ValueTask<bool>(ShouldBreak(outcome.Exception, context.CancellationToken))
            : JudgeAsync(counted, outcome.Exception, context.CancellationToken);
    }

    private async ValueTask<bool> JudgeAsync(ValueTask<Outcome<Task<ChatResponse>?>> counted, Exception? exception, CancellationToken cancellationToken)
    {
        await counted.ConfigureAwait(false);
        return ShouldBreak(exception, cancellationToken);
    }

    /// <summary>
    /// Whether an attempt's outcome opens the lane's circuit. A success resets the failures in a row; a failure the
    /// breaker counts opens it when it is the <c>FailuresBeforeBreak</c>th in a row, when the ratio breaker has opened on
    /// it, or when it is the half-open trial's.
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
}
