namespace HybridInference.Internal;

/// <summary>
/// The race of one hedged request (written by hedging): the claim that lets only one of the local lane's escalation
/// and the hedge call the cloud (the first to ask wins; the other stands down), and which lane's answer won.
/// </summary>
internal sealed class HedgeState
{
    private const int Unclaimed = 0;
    private const int Local = 1;
    private const int Hedge = 2;

    private int _owner;

    /// <summary>Gets or sets the lane whose answer was returned; <see langword="null"/> until the race ended with an answer.</summary>
    public BackendLane? Winner { get; set; }

    /// <summary>Gets a value indicating whether the hedge started its cloud call.</summary>
    public bool Started => Volatile.Read(ref _owner) == Hedge;

    /// <summary>Claims the cloud for the local lane: its escalation, or its end, after which no hedge may start.</summary>
    /// <returns><see langword="false"/> when the hedge already holds it.</returns>
    public bool TryClaimForLocal() => TryClaim(Local);

    /// <summary>Claims the cloud for the hedge.</summary>
    /// <returns><see langword="false"/> when the local lane has escalated or finished.</returns>
    public bool TryClaimForHedge() => TryClaim(Hedge);

    private bool TryClaim(int owner)
    {
        var previous = Interlocked.CompareExchange(ref _owner, owner, Unclaimed);
        return previous == Unclaimed || previous == owner;
    }
}
