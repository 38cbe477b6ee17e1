namespace HybridInference.ToolLoops;

/// <summary>
/// Remembers, per tool-call id, where the turn that made the call ran (<see cref="ToolLoopLane"/>), so that the turn
/// that sends back the call's result can be routed there. Bounded (the oldest calls are forgotten first past
/// <c>ToolLoops:MaxTrackedCalls</c>) and expiring (a call is forgotten <c>ToolLoops:CallExpiry</c> after it was
/// recorded, on the chain's <see cref="TimeProvider"/>).
/// </summary>
/// <remarks>
/// Thread-safe: one lock guards the map and the order of arrival, and only turns of tool loops take it; whether
/// anything is remembered at all is one field read (<see cref="IsEmpty"/>), so a request without tools never locks.
/// Every remembered call has exactly one entry in the order queue (stamped); an entry replaced or removed leaves a stale
/// one behind, skipped when it reaches the front. The queue is kept within the bound too, so memory stays bounded
/// even when the same id is recorded over and over.
/// </remarks>
internal sealed class ToolCallRegistry
{
    private readonly Dictionary<string, Entry> _calls = new(StringComparer.Ordinal);
    private readonly Queue<(string CallId, long Stamp)> _order = new();
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly long _expiryTicks;
    private readonly int _capacity;
    private long _stamp;
    private int _count;

    /// <summary>Initializes a new instance of the <see cref="ToolCallRegistry"/> class.</summary>
    /// <param name="expiry">How long a call is remembered; positive.</param>
    /// <param name="capacity">The most calls remembered at once; at least 1.</param>
    /// <param name="time">The clock expiry is measured on.</param>
    public ToolCallRegistry(TimeSpan expiry, int capacity, TimeProvider time)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(expiry, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        ArgumentNullException.ThrowIfNull(time);
        _time = time;
        _capacity = capacity;
        _expiryTicks = (long)Math.Min(expiry.TotalSeconds * time.TimestampFrequency, long.MaxValue / 2);
    }

    /// <summary>Gets a value indicating whether no call is remembered (expired ones may still count until the next record or lookup).</summary>
    public bool IsEmpty => Volatile.Read(ref _count) == 0;

    /// <summary>Gets the number of calls remembered, expired ones not yet forgotten included.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Remembers where the turn that made the call <paramref name="callId"/> ran; a call recorded again is replaced.</summary>
    public void Record(string callId, ToolLoopLane lane)
    {
        ArgumentException.ThrowIfNullOrEmpty(callId);
        ArgumentNullException.ThrowIfNull(lane);
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            ForgetExpired(now);
            var stamp = ++_stamp;
            _calls[callId] = new Entry(lane, now + _expiryTicks, stamp);
            _order.Enqueue((callId, stamp));
            while (_order.Count > _capacity)
            {
                ForgetOldest();
            }

            Volatile.Write(ref _count, _calls.Count);
        }
    }

    /// <summary>Finds where the turn that made the call <paramref name="callId"/> ran, if it is remembered and has not expired.</summary>
    public ToolLoopLane? Find(string callId)
    {
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            ForgetExpired(now);
            return _calls.TryGetValue(callId, out var entry) && entry.Expires > now ? entry.Lane : null;
        }
    }

    private void ForgetExpired(long now)
    {
        // Calls arrive in time order and all live equally long: the expired ones are at the front.
        var changed = false;
        while (_order.TryPeek(out var oldest))
        {
            if (_calls.TryGetValue(oldest.CallId, out var entry) && entry.Stamp == oldest.Stamp && entry.Expires > now)
            {
                break;
            }

            ForgetOldest();
            changed = true;
        }

        if (changed)
        {
            Volatile.Write(ref _count, _calls.Count);
        }
    }

    private void ForgetOldest()
    {
        var (callId, stamp) = _order.Dequeue();
        if (_calls.TryGetValue(callId, out var entry) && entry.Stamp == stamp)
        {
            _calls.Remove(callId);
        }
    }

    /// <summary>A remembered call: where it ran, when it expires (a <see cref="TimeProvider"/> timestamp), and its stamp in the order queue.</summary>
    private readonly record struct Entry(ToolLoopLane Lane, long Expires, long Stamp);
}
