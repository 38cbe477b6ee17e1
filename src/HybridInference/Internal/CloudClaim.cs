namespace HybridInference.Internal;

/// <summary>
/// Decides, once per hedged request, which of its two halves may call the cloud: the local lane's own escalation or
/// the hedge. The first to ask wins; the other stands down, so a hedged request makes at most one cloud call.
/// </summary>
internal sealed class CloudClaim
{
    private const int Unclaimed = 0;
    private const int Local = 1;
    private const int Hedge = 2;

    private int _owner;

    /// <summary>Gets a value indicating whether the hedge holds the claim.</summary>
    public bool HeldByHedge => Volatile.Read(ref _owner) == Hedge;

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
