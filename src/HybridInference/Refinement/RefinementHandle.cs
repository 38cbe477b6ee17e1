namespace HybridInference;

/// <summary>
/// The refinement of one locally answered request, read from the draft's response with
/// <see cref="RefinementExtensions.GetRefinement(Microsoft.Extensions.AI.ChatResponse)"/>: its id and a task that
/// completes when it ends.
/// </summary>
/// <remarks>
/// The task only completes in the process that queued the refinement; after a restart the refinement is delivered to
/// the <see cref="IRefinementListener"/>s of the process that drains the outbox. It never faults: every ending is a
/// <see cref="RefinementOutcome"/>.
/// </remarks>
public sealed class RefinementHandle
{
    internal RefinementHandle(string requestId, Task<RefinementOutcome> completion)
    {
        RequestId = requestId;
        Completion = completion;
    }

    /// <summary>Gets the id that links the draft and its refinement (<see cref="RefinementOutcome.RequestId"/>).</summary>
    public string RequestId { get; }

    /// <summary>Gets a task that completes with the refinement's outcome when it ends (delivered, expired, failed or not sent).</summary>
    public Task<RefinementOutcome> Completion { get; }
}
