namespace HybridInference;

/// <summary>
/// Hears how each refinement asked for (<see cref="HybridChatOptionsExtensions.WithRefinement"/> or a
/// <c>Refinement:Categories</c> default) ended: delivered, expired, failed, or not sent because the data is LocalOnly
/// or the draft already came from the cloud; and how each piece of deferred work
/// (<see cref="HybridChatOptionsExtensions.AsDeferrable"/>) ended, with <see cref="RefinementOutcome.Deferred"/> set and
/// the cloud's answer as its <see cref="RefinementOutcome.Response"/>. Register implementations in the services (several allowed); each is
/// called once per refinement, from the outbox's worker (or, for one that never entered the outbox, on the request's
/// path), so an implementation must return quickly and must not throw.
/// </summary>
/// <remarks>
/// Refinements outlive the process: one queued before a restart is delivered by the next process that opens the same
/// SQLite outbox, to that process's listeners. The <see cref="RefinementOutcome.RequestId"/> links it to the draft.
/// </remarks>
public interface IRefinementListener
{
    /// <summary>Called once when a refinement has ended.</summary>
    /// <param name="outcome">How it ended, with the refined answer when it was delivered.</param>
    void OnRefinementFinished(RefinementOutcome outcome);
}
