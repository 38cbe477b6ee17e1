namespace HybridInference;

/// <summary>How a refinement ended.</summary>
public enum RefinementStatus
{
    /// <summary>The cloud answered: <see cref="RefinementOutcome.Response"/> holds the refined answer.</summary>
    Delivered = 0,

    /// <summary>It waited longer than <c>Refinement:Outbox:MaxAge</c>, or found the outbox full (<c>Refinement:Outbox:Capacity</c>).</summary>
    Expired = 1,

    /// <summary>The cloud refused it <c>Refinement:Outbox:MaxAttempts</c> times for a reason of its own (<see cref="RefinementOutcome.Reason"/> says which).</summary>
    Failed = 2,

    /// <summary>Not sent: the request's data is LocalOnly, so it never leaves the machine and was never written to the outbox.</summary>
    LocalOnly = 3,

    /// <summary>Not sent: the answer already came from the cloud, so there was no local draft to refine.</summary>
    NotNeeded = 4,
}
