using System.Net;
using DnsClient;
using DnsClient.Protocol;

namespace HybridInference.Pools;

/// <summary>
/// Looks names up in DNS with DnsClient: A and AAAA records, or SRV records and their targets' addresses (from the
/// answer's additional section, else looked up). No answer is cached here: every lookup asks the server, so a
/// membership is as fresh as the resolve interval.
/// </summary>
internal sealed class DnsBackendAddressResolver : IBackendAddressResolver
{
    private static readonly QueryType[] AddressTypes = [QueryType.A, QueryType.AAAA];
    private readonly LookupClient _client;

    /// <summary>Initializes a new instance of the <see cref="DnsBackendAddressResolver"/> class.</summary>
    /// <param name="nameServer">The DNS server to ask; the system's (<c>/etc/resolv.conf</c>, as in a Kubernetes pod) when <see langword="null"/>.</param>
    public DnsBackendAddressResolver(IPEndPoint? nameServer = null)
    {
        var options = nameServer is null ? new LookupClientOptions() : new LookupClientOptions(nameServer);
        options.UseCache = false;
        options.Timeout = Internal.Defaults.ResolveTimeout;
        options.Retries = 1;
        options.ThrowDnsErrors = true; // A failed lookup keeps the members; it must not read as "no addresses".
        options.ContinueOnDnsError = false;
        _client = new LookupClient(options);
    }

    /// <summary>Gets the resolver of the system's DNS servers.</summary>
    public static DnsBackendAddressResolver System { get; } = new();

    public async Task<IReadOnlyList<IPEndPoint>> ResolveAsync(string name, BackendDiscovery discovery, int port, CancellationToken cancellationToken)
    {
        var endpoints = new List<IPEndPoint>();
        if (discovery == BackendDiscovery.Srv)
        {
            var answer = await _client.QueryAsync(name, QueryType.SRV, QueryClass.IN, cancellationToken).ConfigureAwait(false);
            foreach (var srv in answer.Answers.SrvRecords())
            {
                var target = srv.Target.Value;
                var found = false;
                foreach (var record in answer.Additionals)
                {
                    if (record is AddressRecord address && string.Equals(record.DomainName.Value, target, StringComparison.OrdinalIgnoreCase))
                    {
                        endpoints.Add(new IPEndPoint(address.Address, srv.Port));
                        found = true;
                    }
                }

                if (!found)
                {
                    await AddAddressesAsync(target, srv.Port, endpoints, cancellationToken).ConfigureAwait(false);
                }
            }
        }
        else
        {
            await AddAddressesAsync(name, port, endpoints, cancellationToken).ConfigureAwait(false);
        }

        return endpoints;
    }

    /// <summary>
    /// Adds the A and AAAA addresses of <paramref name="name"/>. One of the two failing (a server that refuses AAAA
    /// for an IPv4-only name) leaves the other's answer; both failing is a failed lookup.
    /// </summary>
    private async Task AddAddressesAsync(string name, int port, List<IPEndPoint> endpoints, CancellationToken cancellationToken)
    {
        DnsResponseException? failure = null;
        var answered = false;
        foreach (var type in AddressTypes)
        {
            IDnsQueryResponse answer;
            try
            {
                answer = await _client.QueryAsync(name, type, QueryClass.IN, cancellationToken).ConfigureAwait(false);
            }
            catch (DnsResponseException ex)
            {
                failure ??= ex;
                continue;
            }

            answered = true;
            foreach (var record in answer.Answers)
            {
                if (record is AddressRecord address)
                {
                    endpoints.Add(new IPEndPoint(address.Address, port));
                }
            }
        }

        if (!answered)
        {
            throw failure!;
        }
    }
}
