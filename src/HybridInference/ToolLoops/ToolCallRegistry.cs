namespace HybridInference.ToolLoops;

/// <summary>
/// Remembers, per tool-call id, where the turn that made the call ran (<see cref="ToolLoopLane"/>), so that the turn
/// that sends back the call's result can be routed there. Bounded (the oldest calls are forgotten first past
/// <c>ToolLoops:MaxTrackedCalls</c>) and expiring (a call is forgotten <c>ToolLoops:CallExpiry</c> after it was
/// recorded, on the chain's <see cref="TimeProvider"/>).
/// </summary>
/// <remarks>
/// Thread-safe: one lock guards the map and the list of calls in the order they were recorded (a call recorded again
/// moves to the end), and only turns of tool loops take it; whether anything is remembered at all is one field read
/// (<see cref="IsEmpty"/>), so a request without tools never locks. All calls live equally long, so the expired ones are
/// always at the front of the list, where the bound takes from too.
/// </remarks>
internal sealed class ToolCallRegistry
{
    private readonly Dictionary<string, LinkedListNode<Entry>> _calls = new(StringComparer.Ordinal);
    private readonly LinkedList<Entry> _order = new();
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly long _expiryTicks;
    private readonly int _capacity;
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
        _expiryTicks = (long)Math.Min(expiry.TotalSeconds * time.TimestampFrequency, long.MaxValue / 4);
    }

    /// <summary>Gets a value indicating whether no call is remembered (expired ones may still count until the next record or lookup).</summary>
    public bool IsEmpty => Volatile.Read(ref _count) == 0;

    /// <summary>Gets the number of calls remembered, expired ones not yet forgotten included.</summary>
    public int Count => Volatile.Read(ref _count);

    /// <summary>Remembers where the turn that made the call <paramref name="callId"/> ran; a call recorded again is replaced, its time started again.</summary>
    public void Record(string callId, ToolLoopLane lane)
    {
        ArgumentException.ThrowIfNullOrEmpty(callId);
        ArgumentNullException.ThrowIfNull(lane);
        lock (_gate)
        {
            var now = _time.GetTimestamp();
            ForgetExpired(now);
            if (_calls.Remove(callId, out var known))
            {
                _order.Remove(known);
            }

            _calls[callId] = _order.AddLast(new Entry(callId, lane, now + _expiryTicks));
            while (_calls.Count > _capacity)
            {
                _calls.Remove(_order.First!.Value.CallId);
                _order.RemoveFirst();
            }

            Volatile.Write(ref _count, _calls.Count);
        }
    }

    /// <summary>Finds where the turn that made the call <paramref name="callId"/> ran, if it is remembered and has not expired.</summary>
    public ToolLoopLane? Find(string callId)
    {
        lock (_gate)
        {
            ForgetExpired(_time.GetTimestamp());
            return _calls.TryGetValue(callId, out var node) ? node.Value.Lane : null;
        }
    }

    private void ForgetExpired(long now)
    {
        if (_order.First is not { } oldest || oldest.Value.Expires > now)
        {
            return;
        }

        while (_order.First is { } first && first.Value.Expires <= now)
        {
            _calls.Remove(first.Value.CallId);
            _order.RemoveFirst();
        }

        Volatile.Write(ref _count, _calls.Count);
    }

    /// <summary>A remembered call: its id, where it ran, and when it expires (a <see cref="TimeProvider"/> timestamp).</summary>
    private readonly record struct Entry(string CallId, ToolLoopLane Lane, long Expires);
}
