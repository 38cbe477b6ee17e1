using System.Net;

namespace HybridInference.Pools;

/// <summary>
/// Looks a discovered backend's host name up: the seam between the pool's membership and DNS, so that tests drive
/// membership on a fake clock and the real lookup (<see cref="DnsBackendAddressResolver"/>) can be pointed at a test
/// DNS server. The chain takes one from the services, else the system's resolvers.
/// </summary>
internal interface IBackendAddressResolver
{
    /// <summary>Resolves <paramref name="name"/> to the addresses and ports of its servers.</summary>
    /// <param name="name">The host name (for <see cref="BackendDiscovery.Srv"/>, the SRV record's name).</param>
    /// <param name="discovery">A/AAAA records (<see cref="BackendDiscovery.Dns"/>) or SRV records (<see cref="BackendDiscovery.Srv"/>).</param>
    /// <param name="port">The port of A/AAAA addresses (the endpoint's); SRV records bring their own.</param>
    /// <param name="cancellationToken">Ends the lookup.</param>
    /// <returns>The servers, in any order, duplicates allowed; empty when the name has none.</returns>
    /// <exception cref="Exception">The lookup failed (the caller keeps the members it has).</exception>
    Task<IReadOnlyList<IPEndPoint>> ResolveAsync(string name, BackendDiscovery discovery, int port, CancellationToken cancellationToken);
}
