using HybridInference.Telemetry;
using Polly.CircuitBreaker;

namespace HybridInference.CircuitBreaker;

/// <summary>
/// The breaker's part in the replicas' shared decisions (<see cref="ISharedCircuitState"/>): its own openings and
/// closings are published (from the lane breaker's callbacks), and another replica's are followed through Polly's
/// manual control. An opening elsewhere isolates this circuit; it closes when that replica closes its circuit (its trial
/// passed), or, when no replica closed nor reopened it, after twice the break announced: the deciding replica runs the
/// one trial after its break and publishes the result, so the others do not each pay a trial of their own, and a
/// decider that went away holds them no longer than that. The manual changes are the only ones Polly reports as manual,
/// so they are never published again.
/// </summary>
internal sealed partial class CircuitBreakerChatClient
{
    private readonly CircuitBreakerManualControl _control = new();
    private readonly ISharedCircuitState? _shared;
    private readonly IDisposable? _subscription;
    private readonly ITimer? _followedBreakTimer;
    private long _followedBreakTicks;

    /// <summary>Gets the break another replica announced last.</summary>
    private TimeSpan FollowedBreak => TimeSpan.FromTicks(Volatile.Read(ref _followedBreakTicks));

    /// <summary>Another replica's circuit opened: this one is held open (its own open circuit keeps its own break).</summary>
    private void FollowOpened(TimeSpan breakDuration)
    {
        if (_disposed || breakDuration <= TimeSpan.Zero || _circuit.State is CircuitState.Open)
        {
            return;
        }

        Volatile.Write(ref _followedBreakTicks, breakDuration.Ticks);
        _followedBreakTimer?.Change(breakDuration * 2, Timeout.InfiniteTimeSpan);
        _ = FollowAsync(open: true);
    }

    /// <summary>Another replica's circuit closed (its trial passed): this one closes too.</summary>
    private void FollowClosed()
    {
        if (_disposed)
        {
            return;
        }

        _followedBreakTimer?.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
        if (_circuit.State is not CircuitState.Closed)
        {
            _ = FollowAsync(open: false);
        }
    }

    /// <summary>No replica closed nor reopened the followed circuit in twice its break: it closes, and this replica's own counting decides again.</summary>
    private void FollowedBreakEnded()
    {
        if (!_disposed && _circuit.State is CircuitState.Isolated)
        {
            Log.FollowedBreakEnded(_logger, _circuit.Lane);
            _ = FollowAsync(open: false);
        }
    }

    private async Task FollowAsync(bool open)
    {
        try
        {
            await (open ? _control.IsolateAsync() : _control.CloseAsync()).ConfigureAwait(false);
        }
        catch (ObjectDisposedException)
        {
            // The chain was disposed meanwhile: nothing to follow.
        }
    }
}
