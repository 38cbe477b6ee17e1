using Microsoft.Extensions.AI;

namespace HybridInference;

/// <summary>
/// How one cloud refinement of a local draft ended, linked to the draft by <see cref="RequestId"/>; given to every
/// <see cref="IRefinementListener"/> and by <see cref="RefinementHandle.Completion"/>.
/// </summary>
public sealed class RefinementOutcome
{
    /// <summary>Gets the id that links the refinement to its draft (<see cref="RefinementHandle.RequestId"/> on the draft's response).</summary>
    public required string RequestId { get; init; }

    /// <summary>Gets how the refinement ended.</summary>
    public required RefinementStatus Status { get; init; }

    /// <summary>Gets the task category of the drafted request.</summary>
    public TaskCategory Category { get; init; }

    /// <summary>
    /// Gets a value indicating whether this is deferred work (<see cref="HybridChatOptionsExtensions.AsDeferrable"/>):
    /// the caller got no answer at once, only a response that said so, and <see cref="Response"/> is the answer itself
    /// (<see cref="Draft"/> is empty). <see langword="false"/> for a refinement of a local draft.
    /// </summary>
    public bool Deferred { get; init; }

    /// <summary>Gets the local draft's text, the answer the caller got at once; empty for deferred work.</summary>
    public required string Draft { get; init; }

    /// <summary>Gets what the draft cost in US dollars (its <see cref="RouteOutcome.CostUsd"/>); 0 for deferred work.</summary>
    public double DraftCostUsd { get; init; }

    /// <summary>Gets the refined answer; <see langword="null"/> unless <see cref="Status"/> is <see cref="RefinementStatus.Delivered"/>.</summary>
    public ChatResponse? Response { get; init; }

    /// <summary>
    /// Gets the outcome of the cloud call that answered, with its cost (<see cref="RouteOutcome.CostUsd"/>);
    /// <see langword="null"/> unless <see cref="Status"/> is <see cref="RefinementStatus.Delivered"/>.
    /// </summary>
    public RouteOutcome? Refinement { get; init; }

    /// <summary>Gets the cost of the refinement in US dollars; 0 when it was not delivered.</summary>
    public double RefinementCostUsd => Refinement?.CostUsd ?? 0;

    /// <summary>Gets how many times the refinement was sent to the cloud.</summary>
    public int Sends { get; init; }

    /// <summary>Gets why it was not delivered, in words (never a server's text); <see langword="null"/> when it was.</summary>
    public string? Reason { get; init; }

    /// <summary>Gets when the draft was answered and the refinement queued (from the client's <see cref="TimeProvider"/>).</summary>
    public DateTimeOffset QueuedAt { get; init; }

    /// <summary>Gets when the refinement ended.</summary>
    public DateTimeOffset FinishedAt { get; init; }
}
