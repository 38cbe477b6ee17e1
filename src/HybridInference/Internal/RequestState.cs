using Microsoft.Extensions.AI;

namespace HybridInference.Internal;

/// <summary>
/// The typed state of one request as it moves through the chain. Each piece has one writer: the cost meter starts
/// it (<see cref="StartedAt"/>, <see cref="Sequence"/>), the classifier writes the <see cref="Profile"/> and the
/// privacy verdict (<see cref="RedactWith"/>), history fitting the <see cref="History"/> (and, when it reduced the
/// conversation, the profile's prompt size: the classifier's count of what is no longer sent would be wrong), tool-loop
/// affinity the <see cref="ToolLoop"/>, the router the <see cref="Decision"/>, the fallback the
/// <see cref="Escalation"/>, JSON validation the <see cref="ValidationFailures"/>, hedging the <see cref="Hedge"/>,
/// and backends append to the <see cref="Attempts"/> log. The cost meter folds the outcome from it.
/// </summary>
/// <remarks>
/// It travels on a <see cref="HybridChatOptions"/> copy of the caller's options, so finding it is a type check. The
/// attempt log and the validation count take concurrent writes (the two halves of a hedged request); the other
/// pieces are written before the lanes run.
/// </remarks>
internal sealed class RequestState
{
    /// <summary>The key of the <see cref="RouteOutcome"/> in a response's (and an exception's) additional properties.</summary>
    public const string OutcomePropertyKey = "HybridInference.RouteOutcome";

    private int _validationFailures;

    /// <summary>Gets when the request started (cost meter).</summary>
    public DateTimeOffset StartedAt { get; init; }

    /// <summary>Gets the request's number in the order requests arrived at the cost meter; spreads the recovery ramp evenly.</summary>
    public long Sequence { get; init; }

    /// <summary>Gets or sets the task profile (classifier).</summary>
    public TaskProfile? Profile { get; set; }

    /// <summary>
    /// Gets or sets the detector that found personal data in the request when <c>Privacy:Action</c> is
    /// <see cref="PiiAction.Redact"/> (classifier); the cloud lane's redaction reads it. <see langword="null"/> when
    /// nothing is to be redacted.
    /// </summary>
    public IPiiDetector? RedactWith { get; set; }

    /// <summary>Gets or sets how the conversation was fitted to the local window (history fitting); <see langword="null"/> when it was not.</summary>
    public HistoryReduction? History { get; set; }

    /// <summary>
    /// Gets or sets the fitter that can reduce this request's history to a local window (history fitting, for a request
    /// too long for every local window that goes to the cloud for another reason than its size): when the cloud fails
    /// it, the router's degradation fits it with this before answering it locally. <see langword="null"/> otherwise.
    /// </summary>
    public History.HistoryFitter? LocalFitter { get; set; }

    /// <summary>
    /// Gets or sets where the tool loop this request continues runs (tool-loop affinity): the lane and backend that made
    /// the tool calls whose results the request sends back; the router keeps the request there and the pool prefers the
    /// backend while it is healthy. <see langword="null"/> when the request continues no known loop.
    /// </summary>
    public ToolLoops.ToolLoopLane? ToolLoop { get; set; }

    /// <summary>Gets or sets the routing decision (router).</summary>
    public RouteDecision? Decision { get; set; }

    /// <summary>
    /// Gets or sets the local models the request may run on, best-suited first (router); <see langword="null"/> when the
    /// local backends are one pool (no capabilities or quantization declared, and no model requested).
    /// </summary>
    public Pools.ModelChoice? LocalModels { get; set; }

    /// <summary>Gets or sets a value indicating whether no local model was fit for the task and it ran on the best one because it had to stay local (router).</summary>
    public bool NoCapableLocalModel { get; set; }

    /// <summary>Gets or sets why the local lane sent the request on to the cloud (fallback); <see cref="EscalationReason.None"/> when it did not.</summary>
    public EscalationReason Escalation { get; set; }

    /// <summary>Gets or sets the race of a hedged request (hedging); <see langword="null"/> when the request is not hedged.</summary>
    public HedgeState? Hedge { get; set; }

    /// <summary>Gets the backend calls made for the request, in the order they ended (backends append).</summary>
    public AttemptLog Attempts { get; } = new();

    /// <summary>Gets the number of answers that failed JSON Schema validation (JSON validation).</summary>
    public int ValidationFailures => Volatile.Read(ref _validationFailures);

    /// <summary>Counts an answer that failed JSON Schema validation.</summary>
    public void AddValidationFailure() => Interlocked.Increment(ref _validationFailures);

    /// <summary>Gets the state carried by <paramref name="options"/>, if any.</summary>
    public static RequestState? Find(ChatOptions? options) => (options as HybridChatOptions)?.State;

    /// <summary>
    /// Gets the state carried by <paramref name="options"/>; when there is none (a part used without the cost meter
    /// in front), attaches a new one to a copy of the options, so the caller's instance is never changed.
    /// </summary>
    public static RequestState GetOrAttach([System.Diagnostics.CodeAnalysis.NotNull] ref ChatOptions? options)
    {
        if (options is HybridChatOptions { State: var existing })
        {
            return existing;
        }

        var state = new RequestState();
        options = new HybridChatOptions(options, state);
        return state;
    }
}
