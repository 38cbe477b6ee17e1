namespace HybridInference.Refinement;

/// <summary>
/// Where outbox items wait: in memory (<see cref="InMemoryOutboxStore"/>, lost with the process) or in SQLite
/// (HybridInference.Sqlite, durable). Items leave in the order they were added. Implementations are thread-safe; a
/// write has reached the store when the call returns.
/// </summary>
internal interface IOutboxStore
{
    /// <summary>Gets a value indicating whether items survive the process (a database file) or not (memory).</summary>
    bool Durable { get; }

    /// <summary>Adds an item, unless <paramref name="capacity"/> items are waiting already.</summary>
    /// <returns>The item's id, or <see langword="null"/> when the outbox is full.</returns>
    long? TryAdd(OutboxItem item, int capacity);

    /// <summary>Reads up to <paramref name="count"/> waiting items, oldest first.</summary>
    IReadOnlyList<OutboxItem> ReadWaiting(int count);

    /// <summary>Records a failed send: the item waits until <paramref name="nextAttemptAt"/>.</summary>
    void Reschedule(long id, int sends, int refusals, DateTimeOffset nextAttemptAt);

    /// <summary>Ends an item: it no longer waits, and is kept (for the status) until pruned.</summary>
    void Finish(long id, OutboxEnding ending, int sends, DateTimeOffset at, string? reason);

    /// <summary>Ends as expired every waiting item queued before <paramref name="cutoff"/>, and returns them.</summary>
    IReadOnlyList<OutboxItem> ExpireQueuedBefore(DateTimeOffset cutoff, DateTimeOffset at);

    /// <summary>Counts the waiting items, and tells when the oldest was queued.</summary>
    (long Count, DateTimeOffset? Oldest) Waiting();

    /// <summary>Deletes the ended items that ended before <paramref name="cutoff"/>.</summary>
    void PruneEndedBefore(DateTimeOffset cutoff);
}
