namespace HybridInference.Pools;

/// <summary>
/// What a lane's health probes have said, published by the pool's <see cref="BackendHealthMonitor"/> (its only
/// writer) for the parts of the lane that watch it, found through the lane's <c>GetService</c>: the lane's circuit
/// breaker ends its break when a probe passes after the circuit opened. Reading it never changes it; no part calls
/// another through it.
/// </summary>
internal sealed class LaneHealthSignal
{
    private long _passes;

    /// <summary>Gets how many probes of a backend in the lane have passed since the pool was built.</summary>
    public long Passes => Interlocked.Read(ref _passes);

    /// <summary>Records that a probe of one of the lane's backends passed.</summary>
    internal void Passed() => Interlocked.Increment(ref _passes);
}
