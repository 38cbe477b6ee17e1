namespace HybridInference;

/// <summary>
/// How a local backend's <see cref="BackendOptions.Endpoint"/> host name becomes pool members
/// (<c>Local:Backends:N:Discovery</c>): not at all (one backend), or one member per address a DNS lookup returns, as a
/// Kubernetes headless Service answers.
/// </summary>
/// <remarks>The values are a public contract: new ones are added only at new numbers.</remarks>
public enum BackendDiscovery
{
    /// <summary>No discovery: the endpoint is one backend, whatever its name resolves to (the default).</summary>
    None = 0,

    /// <summary>
    /// The endpoint's host name is looked up for A and AAAA records; every address is a member, reached at the
    /// endpoint's port and path (a headless Service: <c>vllm.inference.svc.cluster.local</c>).
    /// </summary>
    Dns = 1,

    /// <summary>
    /// The endpoint's host name is looked up for SRV records (<c>_http._tcp.vllm.inference.svc.cluster.local</c>); every
    /// address of every target is a member, reached at the record's port and the endpoint's path.
    /// </summary>
    Srv = 2,
}
