namespace HybridInference.Refinement;

/// <summary>
/// The outbox in memory, used when no durable store is added (<c>AddSqliteOutbox</c>): not durable, so the items
/// waiting when the process stops are lost. Ended items are not kept.
/// </summary>
internal sealed class InMemoryOutboxStore : IOutboxStore
{
    private readonly Lock _lock = new();
    private readonly LinkedList<OutboxItem> _waiting = new();
    private long _nextId;

    public bool Durable => false;

    public long? TryAdd(OutboxItem item, int capacity)
    {
        lock (_lock)
        {
            if (_waiting.Count >= capacity)
            {
                return null;
            }

            var id = ++_nextId;
            _waiting.AddLast(item with { Id = id });
            return id;
        }
    }

    public IReadOnlyList<OutboxItem> ReadWaiting(int count)
    {
        lock (_lock)
        {
            var items = new List<OutboxItem>(Math.Min(count, _waiting.Count));
            for (var node = _waiting.First; node is not null && items.Count < count; node = node.Next)
            {
                items.Add(node.Value);
            }

            return items;
        }
    }

    public void Reschedule(long id, int sends, int refusals, DateTimeOffset nextAttemptAt)
    {
        lock (_lock)
        {
            if (Find(id) is { } node)
            {
                node.Value = node.Value with { Sends = sends, Refusals = refusals, NextAttemptAt = nextAttemptAt };
            }
        }
    }

    public void Finish(long id, OutboxEnding ending, int sends, DateTimeOffset at, string? reason)
    {
        lock (_lock)
        {
            if (Find(id) is { } node)
            {
                _waiting.Remove(node);
            }
        }
    }

    public IReadOnlyList<OutboxItem> ExpireQueuedBefore(DateTimeOffset cutoff, DateTimeOffset at)
    {
        lock (_lock)
        {
            var expired = new List<OutboxItem>();
            while (_waiting.First is { } first && first.Value.QueuedAt < cutoff)
            {
                expired.Add(first.Value);
                _waiting.RemoveFirst();
            }

            return expired;
        }
    }

    public (long Count, DateTimeOffset? Oldest) Waiting()
    {
        lock (_lock)
        {
            return (_waiting.Count, _waiting.First?.Value.QueuedAt);
        }
    }

    public void PruneEndedBefore(DateTimeOffset cutoff)
    {
        // Ended items are not kept in memory.
    }

    private LinkedListNode<OutboxItem>? Find(long id)
    {
        for (var node = _waiting.First; node is not null; node = node.Next)
        {
            if (node.Value.Id == id)
            {
                return node;
            }
        }

        return null;
    }
}
