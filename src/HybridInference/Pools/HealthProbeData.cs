namespace HybridInference;

/// <summary>Keys of the data an <see cref="IBackendHealthProbe"/> may add to its result for the pool to use.</summary>
public static class HealthProbeData
{
    /// <summary>
    /// The number of requests waiting in the server's own queue (an <see cref="int"/>), as the server reports it (vLLM's
    /// <c>vllm:num_requests_waiting</c>). Least-outstanding and power-of-two-choices balancing add it to the requests
    /// the pool itself has in flight there.
    /// </summary>
    public const string QueueDepth = "queue_depth";

    /// <summary>
    /// The number of requests the server is processing for every client (an <see cref="int"/>), as it reports it
    /// (llama.cpp's busy <c>/slots</c>). The busy slots beyond the requests the pool itself has in flight there are
    /// other clients' work, and least-outstanding and power-of-two-choices balancing count them like a queue.
    /// </summary>
    public const string BusySlots = "busy_slots";

    /// <summary>
    /// The context window the server reports for one request (an <see cref="int"/>, in tokens: what a prompt plus its
    /// output may use there; for llama.cpp one slot's share of <c>-c</c>). A backend without a configured
    /// <see cref="BackendOptions.ContextWindow"/> takes it as its window; one with a configured window uses the smaller
    /// of the two and logs a warning when they disagree. The router and the pool read it from then on.
    /// </summary>
    public const string ContextWindow = "context_window";
}
