using System.Runtime.ExceptionServices;
using HybridInference.CircuitBreaker;
using HybridInference.Internal;
using HybridInference.Telemetry;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Hedging;

namespace HybridInference.Hedging;

/// <summary>
/// The latency budget of the local lane: a routable local request that has no answer after the hedge delay starts on
/// the cloud lane too; the first answer wins, the other attempt is cancelled. A failed attempt does not end the race
/// while the other may still answer; when both fail, the caller gets a typed failure. At most one cloud call is made:
/// the local lane's escalation and the hedge share one claim (<see cref="HedgeState"/>, which this client owns).
/// </summary>
/// <remarks>
/// Not hedged: local-only requests, requests the router did not send to the local lane, and any while the cloud
/// lane's breaker is open. A stream is won at its first token. The cloud attempt runs on a copy of the options with
/// the same request state, so its calls join the request's attempt log.
/// </remarks>
internal sealed partial class HedgingChatClient : DelegatingChatClient
{
    private static readonly ResiliencePropertyKey<Race> RaceKey = new("HybridInference.Hedge");

    private readonly IChatClient _cloudLane;
    private readonly LaneCircuit? _cloudCircuit;
    private readonly TimeSpan _delay;
    private readonly TimeProvider _timeProvider;
    private readonly HybridInferenceMetrics _metrics;
    private readonly ILogger _logger;
    private readonly ResiliencePipeline<ChatResponse> _pipeline;

    /// <summary>Initializes a new instance of the <see cref="HedgingChatClient"/> class.</summary>
    /// <param name="localLane">The rest of the local lane.</param>
    /// <param name="cloudLane">The cloud lane the hedge calls. Not owned: the router disposes it.</param>
    /// <param name="delay">How long a local answer may take before the cloud starts too.</param>
    /// <param name="timeProvider">The clock the delay runs on.</param>
    /// <param name="metrics">Where hedges are counted.</param>
    /// <param name="logger">The logger.</param>
    public HedgingChatClient(IChatClient localLane, IChatClient cloudLane, TimeSpan delay, TimeProvider timeProvider, HybridInferenceMetrics metrics, ILogger logger)
        : base(localLane)
    {
        ArgumentNullException.ThrowIfNull(cloudLane);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(delay, TimeSpan.Zero);
        _cloudLane = cloudLane;
        _cloudCircuit = cloudLane.GetService<LaneCircuit>() is { Lane: BackendLane.Cloud } circuit ? circuit : null;
        _delay = delay;
        _timeProvider = timeProvider;
        _metrics = metrics;
        _logger = logger;
        _pipeline = new ResiliencePipelineBuilder<ChatResponse> { TimeProvider = timeProvider }
            .AddHedging(new HedgingStrategyOptions<ChatResponse>
            {
                Delay = delay,
                MaxHedgedAttempts = 1,

                // A failed attempt never ends the race while the other may still answer.
                ShouldHandle = static args => new ValueTask<bool>(args.Outcome.Exception is not null),

                // Only lateness starts the hedge: a local failure is the fallback's to escalate, and once the local
                // lane has escalated or finished, the hedge stands down (the claim).
                ActionGenerator = static args => args.PrimaryContext.Properties.GetValue(RaceKey, null!) is { } race && race.TryStart()
                    ? () => race.RunCloudAsync(args.ActionContext.CancellationToken)
                    : null,
            })
            .Build();
    }

    public override Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        MayHedge(options)
            ? HedgedAsync(messages, (HybridChatOptions)options!, cancellationToken)
            : base.GetResponseAsync(messages, options, cancellationToken);

    public override IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(
        IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default) =>
        MayHedge(options)
            ? HedgedStreamAsync(messages, (HybridChatOptions)options!, cancellationToken)
            : base.GetStreamingResponseAsync(messages, options, cancellationToken);

    /// <summary>
    /// Whether a request may be hedged: the router sent it to the local lane, not as a turn of a tool loop running there
    /// (the cloud would be handed the local model's half-done plan), it may leave the machine, and the cloud is not failing.
    /// </summary>
    private bool MayHedge(ChatOptions? options) => RequestState.Find(options) is { } state
        && state.Decision is { Target: RouteTarget.Local, Reason: not RouteReason.ToolLoop }
        && state.Profile is { DataPolicy: not DataPolicy.LocalOnly }
        && _cloudCircuit is not { IsRejecting: true };

    private async Task<ChatResponse> HedgedAsync(IEnumerable<ChatMessage> messages, HybridChatOptions options, CancellationToken cancellationToken)
    {
        var race = new Race(this, messages, options);
        var context = ResilienceContextPool.Shared.Get(cancellationToken);
        context.Properties.Set(RaceKey, race);
        try
        {
            var outcome = await _pipeline.ExecuteOutcomeAsync(
                static async (context, race) =>
                {
                    try
                    {
                        return Outcome.FromResult(await race.Client.InnerClient.GetResponseAsync(race.Messages, race.Options, context.CancellationToken).ConfigureAwait(false));
                    }
                    catch (Exception ex)
                    {
                        race.LocalFailure = ex;
                        return Outcome.FromException<ChatResponse>(ex);
                    }
                    finally
                    {
                        // Finished, one way or the other: a hedge that has not started by now never will.
                        race.State.TryClaimForLocal();
                    }
                },
                context,
                race).ConfigureAwait(false);

            // The hedging strategy has cancelled the loser and waited for it, so both accounts are complete.
            race.Finish(outcome.Result is { } result && ReferenceEquals(result, race.CloudResponse), outcome.Exception is null);
            if (outcome.Exception is { } failure)
            {
                ExceptionDispatchInfo.Throw(Failure(options.State, race.LocalFailure ?? failure, race.CloudFailure, cancellationToken));
            }

            return outcome.Result!;
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    /// <summary>
    /// What a hedged request reports when it got no answer: a cancellation when its token was cancelled (the caller's,
    /// or the deadline, which the cost meter turns into its <see cref="TimeoutException"/>); else the local lane's
    /// failure when it is one of ours or the caller's (an <see cref="ArgumentException"/>), else the cloud's (the hedge
    /// is the local lane's escalation, whose failure a request that was not hedged would report); else a
    /// <see cref="BackendException"/> around the local failure, so that neither a raw exception of a backend nor a
    /// cancellation nobody asked for reaches the caller.
    /// </summary>
    private static Exception Failure(RequestState state, Exception local, Exception? cloud, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return local as OperationCanceledException ?? cloud as OperationCanceledException ?? new OperationCanceledException(null, local, cancellationToken);
        }

        if (local is HybridInferenceException or ArgumentException)
        {
            return local; // Ours, or the caller's (an ArgumentException, such as an invalid schema): never a backend's.
        }

        if (cloud is HybridInferenceException or ArgumentException)
        {
            return cloud;
        }

        var kind = local is TimeoutException or OperationCanceledException ? BackendErrorKind.Timeout : BackendErrorKind.Unknown;
        var also = cloud is null ? string.Empty : $" and the hedged cloud attempt failed too ({cloud.GetType().Name})";
        return new BackendException(
            kind,
            $"The hedged request got no answer: backend '{state.Attempts.LastBackend?.Name ?? "unknown"}' failed ({local.GetType().Name}){also}.",
            innerException: local);
    }

    /// <summary>One hedged request: its claim, its two halves and how each ended.</summary>
    private sealed class Race
    {
        public Race(HedgingChatClient client, IEnumerable<ChatMessage> messages, HybridChatOptions options)
        {
            Client = client;
            Messages = messages;
            Options = options;
            State = new HedgeState();
            options.State.Hedge = State;
        }

        public HedgingChatClient Client { get; }

        public IEnumerable<ChatMessage> Messages { get; }

        public HybridChatOptions Options { get; }

        public HedgeState State { get; }

        public ChatResponse? CloudResponse { get; private set; }

        /// <summary>Gets or sets how the local half failed, if it did.</summary>
        public Exception? LocalFailure { get; set; }

        /// <summary>Gets how the cloud half failed, if it started and did.</summary>
        public Exception? CloudFailure { get; private set; }

        /// <summary>Claims the cloud for the hedge: <see langword="false"/> when the local lane has escalated or finished.</summary>
        public bool TryStart() => State.TryClaimForHedge();

        public async ValueTask<Outcome<ChatResponse>> RunCloudAsync(CancellationToken cancellationToken)
        {
            try
            {
                CloudResponse = await Client._cloudLane.GetResponseAsync(Messages, CloudOptions(), cancellationToken).ConfigureAwait(false);
                return Outcome.FromResult(CloudResponse);
            }
            catch (Exception ex)
            {
                CloudFailure = ex;
                return Outcome.FromException<ChatResponse>(ex);
            }
        }

        public IAsyncEnumerable<ChatResponseUpdate> StreamCloud(CancellationToken cancellationToken) =>
            Client._cloudLane.GetStreamingResponseAsync(Messages, CloudOptions(), cancellationToken);

        /// <summary>
        /// Ends the race: counts the hedge and records the winner, so the outcome is folded from the winner's calls.
        /// Does nothing when the hedge never started.
        /// </summary>
        public void Finish(bool cloudWon, bool answered)
        {
            if (!State.Started)
            {
                return;
            }

            Client._metrics.RecordHedge(cloudWon ? BackendLane.Cloud : BackendLane.Local);
            if (answered)
            {
                State.Winner = cloudWon ? BackendLane.Cloud : BackendLane.Local;
            }

            if (cloudWon)
            {
                Log.Escalating(Client._logger, EscalationReason.Hedge, "the local answer was later than Routing:HedgeDelay and the cloud answered first");
            }
        }

        /// <summary>The cloud half's own copy of the options (the local half may change its copy: a retry's output limit), with the same state.</summary>
        private HybridChatOptions CloudOptions() => new(Options, Options.State);
    }
}
