namespace HybridInference.Refinement;

/// <summary>One piece of cloud work waiting in the outbox: a refinement of a local draft, or deferred work, with its send history.</summary>
/// <param name="Id">The item's place in the outbox's order (assigned by the store; 0 before it is added).</param>
/// <param name="RequestId">The id that links the refinement to its draft.</param>
/// <param name="Category">The drafted request's task category.</param>
/// <param name="QueuedAt">When the item was added.</param>
/// <param name="Draft">The local draft's text; empty for deferred work.</param>
/// <param name="DraftCostUsd">What the draft cost; 0 for deferred work.</param>
/// <param name="Messages">The conversation to send, as JSON (Microsoft.Extensions.AI's serialization of <c>ChatMessage</c>s).</param>
/// <param name="Sends">How many times it was sent.</param>
/// <param name="Refusals">How many of those sends failed for a reason of its own (<see cref="Errors.Failures.CountsAgainstOutboxItem"/>).</param>
/// <param name="NextAttemptAt">When it may be sent next.</param>
/// <param name="Kind">What the work is.</param>
/// <param name="Settings">For deferred work, the request's settings the cloud call needs (<see cref="DeferredSettings"/>, JSON); null otherwise.</param>
internal sealed record OutboxItem(
    long Id,
    string RequestId,
    TaskCategory Category,
    DateTimeOffset QueuedAt,
    string Draft,
    double DraftCostUsd,
    string Messages,
    int Sends,
    int Refusals,
    DateTimeOffset NextAttemptAt,
    OutboxKind Kind = OutboxKind.Refinement,
    string? Settings = null);

/// <summary>What an outbox item is (stored as <c>outbox.kind</c>).</summary>
internal enum OutboxKind
{
    /// <summary>A cloud refinement of a local draft the caller got.</summary>
    Refinement = 0,

    /// <summary>Deferred work: a request marked deferrable that the cloud could not take and that could not run locally; the caller got no answer yet.</summary>
    Deferred = 1,
}

/// <summary>How an outbox item ended.</summary>
internal enum OutboxEnding
{
    /// <summary>Sent and answered.</summary>
    Delivered = 1,

    /// <summary>Too old, or the outbox was full.</summary>
    Expired = 2,

    /// <summary>Refused too often for a reason of its own.</summary>
    Failed = 3,
}
