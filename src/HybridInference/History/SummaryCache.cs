namespace HybridInference.History;

/// <summary>
/// The summaries history fitting has written, by the hash of the turns each one covers
/// (<see cref="ConversationTurns.PrefixHash"/>), so that a growing chat is not summarized again every turn. Bounded:
/// past its capacity the least recently used summary goes.
/// </summary>
/// <remarks>Thread-safe; one lock, taken only by requests being fitted.</remarks>
internal sealed class SummaryCache
{
    private readonly int _capacity;
    private readonly Dictionary<UInt128, LinkedListNode<(UInt128 Key, string Summary)>> _entries = [];
    private readonly LinkedList<(UInt128 Key, string Summary)> _order = new();
    private readonly Lock _lock = new();

    /// <summary>Initializes a new instance of the <see cref="SummaryCache"/> class.</summary>
    /// <param name="capacity">The most summaries kept; at least 1.</param>
    public SummaryCache(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _capacity = capacity;
    }

    /// <summary>Gets the number of summaries kept.</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _entries.Count;
            }
        }
    }

    /// <summary>Finds the summary of the turns whose hash is <paramref name="key"/>, and marks it recently used.</summary>
    public bool TryGet(UInt128 key, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out string? summary)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var node))
            {
                _order.Remove(node);
                _order.AddFirst(node);
                summary = node.Value.Summary;
                return true;
            }
        }

        summary = null;
        return false;
    }

    /// <summary>Keeps a summary of the turns whose hash is <paramref name="key"/>; the least recently used goes when full.</summary>
    public void Add(UInt128 key, string summary)
    {
        lock (_lock)
        {
            if (_entries.TryGetValue(key, out var existing))
            {
                _order.Remove(existing);
            }
            else if (_entries.Count >= _capacity)
            {
                var oldest = _order.Last!;
                _order.RemoveLast();
                _entries.Remove(oldest.Value.Key);
            }

            var node = _order.AddFirst((key, summary));
            _entries[key] = node;
        }
    }
}
