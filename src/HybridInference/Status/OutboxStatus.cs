namespace HybridInference;

/// <summary>The outbox of cloud refinements in a <see cref="HybridInferenceStatus"/>: what waits, and how the others ended.</summary>
public sealed record OutboxStatus
{
    /// <summary>Gets a value indicating whether the outbox survives the process (SQLite, <c>AddSqliteOutbox</c>) or lives in memory (lost on exit).</summary>
    public required bool Durable { get; init; }

    /// <summary>Gets how many items wait for the cloud now (queued by this process or one before it, for a durable outbox).</summary>
    public required long Waiting { get; init; }

    /// <summary>Gets when the oldest waiting item was queued; <see langword="null"/> when none waits.</summary>
    public DateTimeOffset? OldestQueuedAt { get; init; }

    /// <summary>Gets how many items the cloud answered since this process started.</summary>
    public required long Delivered { get; init; }

    /// <summary>Gets how many items ended unsent since this process started: too old (<c>Refinement:Outbox:MaxAge</c>) or the outbox full.</summary>
    public required long Expired { get; init; }

    /// <summary>Gets how many items the cloud refused <c>Refinement:Outbox:MaxAttempts</c> times since this process started (or could not be written).</summary>
    public required long Failed { get; init; }
}
