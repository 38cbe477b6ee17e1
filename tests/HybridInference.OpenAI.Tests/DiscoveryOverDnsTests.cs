using System.Net;
using HybridInference.Pools;
using Microsoft.Extensions.DependencyInjection;

namespace HybridInference.OpenAI.Tests;

/// <summary>
/// A headless Service played for real: a name that dnsmasq resolves to three loopback addresses (127.0.0.2 to .4, each
/// its own vLLM stand-in on the same port), a local backend with <c>Discovery: Dns</c> over real HTTP. Three members;
/// one server stopped is ejected alone by its own health probe while the other two serve; a fourth address added to
/// the DNS server becomes a member at the next lookup. Real time, generous waits.
/// </summary>
public sealed class DiscoveryOverDnsTests : IAsyncLifetime
{
    private const string Name = "engines.test";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(30);
    private readonly Dictionary<IPAddress, LoopbackServer> _servers = [];
    private Dnsmasq? _dns;
    private ServiceProvider? _services;
    private int _port;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        if (_services is not null)
        {
            await _services.DisposeAsync();
        }

        foreach (var server in _servers.Values)
        {
            await server.DisposeAsync();
        }

        if (_dns is not null)
        {
            await _dns.DisposeAsync();
        }
    }

    private async Task StartServerAsync(IPAddress address)
    {
        var server = await LoopbackServer.StartAsync(address, _port);
        _port = server.BaseAddress.Port;
        server.ProbesApart = true;
        var queue = address.GetAddressBytes()[3]; // Each pod reports a queue of its own: the probe reads it per member.
        server.Probes = context => context.Request.Path == "/metrics"
            ? Respond.Text($"vllm:num_requests_waiting{{engine=\"0\",model_name=\"m\"}} {queue}.0\n", contentType: "text/plain; version=0.0.4")(context)
            : Respond.Json("{}")(context);
        var body = Fixture.Read("vllm", "chat-completion.json").Replace("Hello! How can I help you today?", address.ToString(), StringComparison.Ordinal);
        server.Default = Respond.Json(body);
        _servers[address] = server;
    }

    private string Member(string address) => $"vllm/{address}:{_port}";

    private static async Task WaitUntilAsync(Func<bool> condition, string what)
    {
        var started = DateTime.UtcNow;
        while (!condition())
        {
            if (DateTime.UtcNow - started > Patience)
            {
                throw new TimeoutException($"Not within {Patience.TotalSeconds} s: {what}.");
            }

            await Task.Delay(50);
        }
    }

    [Fact]
    public async Task ThreeAddresses_ThreeMembers_OneStoppedIsEjectedAlone_AFourthIsPickedUp()
    {
        IPAddress[] addresses = [IPAddress.Parse("127.0.0.2"), IPAddress.Parse("127.0.0.3"), IPAddress.Parse("127.0.0.4")];
        foreach (var address in addresses)
        {
            await StartServerAsync(address);
        }

        _dns = await Dnsmasq.StartAsync([.. addresses.Select(a => (Name, a))]);
        var configuration = JsonSettings.Parse($$"""
            { "HybridInference": { "Local": {
                "LoadBalancing": "WeightedRoundRobin", "HealthCheckInterval": "00:00:00.5", "EjectionDuration": "00:10:00",
                "Backends": [ { "Name": "vllm", "Provider": "vllm", "Model": "m", "Endpoint": "http://{{Name}}:{{_port}}/v1",
                                "Discovery": "Dns", "ResolveInterval": "00:00:01" } ] } } }
            """);
        var services = new ServiceCollection();
        services.AddSingleton<IBackendAddressResolver>(new DnsBackendAddressResolver(_dns.EndPoint));
        services.AddHybridInference(configuration.GetSection("HybridInference")).AddOpenAIProviders();
        _services = services.BuildServiceProvider();
        var chat = _services.GetRequiredService<IChatClient>();
        var status = _services.GetRequiredService<IHybridInferenceStatus>();
        BackendStatus[] Members() => [.. status.GetStatus().Backends.Where(b => b.Name.StartsWith("vllm/", StringComparison.Ordinal))];

        // Three addresses, three members, each probed on its own (its own queue reading), each answering requests.
        await WaitUntilAsync(() => status.GetStatus().Backends.Count == 3 && Members().Length == 3 && Members().All(m => m.LastProbeHealthy == true), "three healthy members");
        Assert.Equal([Member("127.0.0.2"), Member("127.0.0.3"), Member("127.0.0.4")], Members().Select(m => m.Name));
        await WaitUntilAsync(() => Members().Select(m => m.ReportedQueue).SequenceEqual([2, 3, 4]), "each member's queue read from its own server");
        var answered = new HashSet<string>();
        for (var i = 0; i < 6; i++)
        {
            var response = await chat.GetResponseAsync("Summarize: the meeting moved.");
            Assert.Equal(response.GetRouteOutcome()!.Backend, Member(response.Text));
            answered.Add(response.Text);
        }

        Assert.Equal(["127.0.0.2", "127.0.0.3", "127.0.0.4"], answered.Order());
        Assert.All(_servers.Values, server => Assert.Equal($"{Name}:{_port}", server.Requests[0].Header("Host"))); // Asked by the Service's name.

        // One server stops: its own probe ejects it; the other two keep serving every request.
        await _servers[addresses[1]].DisposeAsync();
        _servers.Remove(addresses[1]);
        await WaitUntilAsync(() => Members().Single(m => m.Name == Member("127.0.0.3")).Health == BackendHealth.Ejected, "the stopped member ejected");
        Assert.Equal([BackendHealth.Healthy, BackendHealth.Ejected, BackendHealth.Healthy], Members().Select(m => m.Health));
        for (var i = 0; i < 6; i++)
        {
            var response = await chat.GetResponseAsync("Summarize: the meeting moved.");
            Assert.Contains(response.Text, (string[])["127.0.0.2", "127.0.0.4"]);
            Assert.Equal(1, response.GetRouteOutcome()!.Attempts);
        }

        // A fourth pod: its address added to the DNS server becomes a member at the next lookup, and serves.
        var fourth = IPAddress.Parse("127.0.0.5");
        await StartServerAsync(fourth);
        await _dns.SetHostsAsync([.. addresses.Append(fourth).Select(a => (Name, a))]);
        await WaitUntilAsync(() => Members().Length == 4 && Members()[3].LastProbeHealthy == true, "the fourth member, probed");
        Assert.Equal(Member("127.0.0.5"), Members()[3].Name);
        answered.Clear();
        for (var i = 0; i < 6; i++)
        {
            answered.Add((await chat.GetResponseAsync("Summarize: the meeting moved.")).Text);
        }

        Assert.Contains("127.0.0.5", answered);
        Assert.DoesNotContain("127.0.0.3", answered);
    }
}

/// <summary>The DNS lookup itself against dnsmasq: A records, SRV records with their ports, and a failed lookup that is not "no addresses".</summary>
public sealed class DnsBackendAddressResolverTests
{
    [Fact]
    public async Task Srv_GivesEachTargetsAddressesAtTheRecordsPort()
    {
        await using var dns = await Dnsmasq.StartAsync(
            [("pod-a.engines.test", IPAddress.Parse("127.0.0.2")), ("pod-b.engines.test", IPAddress.Parse("127.0.0.3"))],
            [("_http._tcp.engines.test", "pod-a.engines.test", 8001), ("_http._tcp.engines.test", "pod-b.engines.test", 8002)]);
        var resolver = new DnsBackendAddressResolver(dns.EndPoint);

        var found = await resolver.ResolveAsync("_http._tcp.engines.test", BackendDiscovery.Srv, port: 1, CancellationToken.None);

        Assert.Equal(["127.0.0.2:8001", "127.0.0.3:8002"], found.Select(e => e.ToString()).Order());
    }

    [Fact]
    public async Task UnknownName_Fails_RatherThanAnsweringNone()
    {
        await using var dns = await Dnsmasq.StartAsync(("engines.test", IPAddress.Parse("127.0.0.2")));
        var resolver = new DnsBackendAddressResolver(dns.EndPoint);

        Assert.Equal(["127.0.0.2:9000"], (await resolver.ResolveAsync("engines.test", BackendDiscovery.Dns, 9000, CancellationToken.None)).Select(e => e.ToString()));
        await Assert.ThrowsAsync<DnsClient.DnsResponseException>(() => resolver.ResolveAsync("other.test", BackendDiscovery.Dns, 9000, CancellationToken.None));
    }
}
