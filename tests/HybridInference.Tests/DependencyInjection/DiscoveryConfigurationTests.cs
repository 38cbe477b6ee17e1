using HybridInference.Pools;
using HybridInference.Tests.Pools;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.DependencyInjection;

/// <summary>
/// <c>Local:Backends:N:Discovery</c> and <c>ResolveInterval</c> from configuration: errors name the key, unknown keys are
/// caught, and a discovered backend's members are created by the provider's factory with the backend's middleware.
/// </summary>
public sealed class DiscoveryConfigurationTests
{
    private static IReadOnlyList<string> Failures(string backends, bool registerByCode = false, string cloud = "")
    {
        var section = JsonSettings.Parse("""{"HybridInference":{"Local":{"Backends":[""" + backends + "]}" + cloud + "}}").GetSection("HybridInference");
        var services = new ServiceCollection();
        var builder = services.AddHybridInference(section);
        services.AddSingleton<IBackendClientFactory>(new MemberClientFactory());
        if (registerByCode)
        {
            builder.AddLocalBackend("vllm", _ => new FakeChatClient("vllm"));
        }

        using var provider = services.BuildServiceProvider();
        return provider.StartupFailures();
    }

    [Fact]
    public void Defaults_AreNoDiscovery_And30Seconds()
    {
        var backend = new BackendOptions();
        Assert.Equal((BackendDiscovery.None, TimeSpan.FromSeconds(30)), (backend.Discovery, backend.ResolveInterval));
        Assert.Equal([0, 1, 2], Enum.GetValues<BackendDiscovery>().Select(v => (int)v));
    }

    [Fact]
    public void ValidDiscovery_Starts()
    {
        Assert.Empty(Failures("""{"Name":"vllm","Provider":"engine","Endpoint":"http://vllm.inference.svc.cluster.local:8000/v1","Discovery":"Dns","ResolveInterval":"00:00:10"}"""));
        Assert.Empty(Failures("""{"Name":"vllm","Provider":"engine","Endpoint":"http://_http._tcp.vllm.inference.svc.cluster.local/v1","Discovery":"Srv"}"""));
    }

    [Theory]
    [InlineData("http://10.0.0.5:8000/v1", "needs a host name to look up in HybridInference:Local:Backends:0:Endpoint, not the address '10.0.0.5'")]
    [InlineData("http://[::1]:8000/v1", "not the address '[::1]'")]
    public void Discovery_OfAnAddress_NamesTheKey(string endpoint, string expected)
    {
        var failure = Assert.Single(Failures($$"""{"Name":"vllm","Provider":"engine","Endpoint":"{{endpoint}}","Discovery":"Dns"}"""));
        Assert.StartsWith("HybridInference:Local:Backends:0:Discovery (Dns)", failure, StringComparison.Ordinal);
        Assert.Contains(expected, failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Discovery_WithoutEndpoint_NamesTheKey()
    {
        var failure = Assert.Single(Failures("""{"Name":"vllm","Provider":"engine","Discovery":"Srv"}"""));
        Assert.Contains("HybridInference:Local:Backends:0:Discovery (Srv) needs HybridInference:Local:Backends:0:Endpoint", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Discovery_OfABackendRegisteredByCode_IsRefused()
    {
        var failure = Assert.Single(Failures("""{"Name":"vllm","Endpoint":"http://vllm.test:8000/v1","Discovery":"Dns"}""", registerByCode: true));
        Assert.Contains("HybridInference:Local:Backends:0:Discovery (Dns) needs a provider package", failure, StringComparison.Ordinal);
        Assert.Contains("registered by code (AddLocalBackend)", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Discovery_OfACloudBackend_IsRefused()
    {
        var failures = Failures(
            """{"Name":"vllm","Provider":"engine","Endpoint":"http://vllm.test:8000/v1"}""",
            cloud: ""","Cloud":{"Backends":[{"Name":"c","Provider":"engine","Endpoint":"https://cloud.test/v1","Discovery":"Dns"}]}""");
        Assert.Contains(failures, f => f.StartsWith("HybridInference:Cloud:Backends:0:Discovery (Dns) is for local backends", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("\"Discovery\":\"Mdns\"", "HybridInference:Local:Backends:0:Discovery")]
    [InlineData("\"ResolveInterval\":\"00:00:00.100\"", "ResolveInterval")]
    [InlineData("\"Discovry\":\"Dns\"", "Did you mean HybridInference:Local:Backends:0:Discovery?")]
    public void BadValues_AndTypos_NameTheKey(string setting, string expected)
    {
        var failures = Failures($$"""{"Name":"vllm","Provider":"engine","Endpoint":"http://vllm.test:8000/v1",{{setting}}}""");
        Assert.Contains(failures, f => f.Contains(expected, StringComparison.Ordinal));
    }

    [Fact]
    public async Task ConfiguredDiscovery_MembersComeFromTheProvider_WithTheBackendsMiddleware_AndShowInStatus()
    {
        var factory = new MemberClientFactory();
        var resolver = new ScriptedResolver().Answer(8000, 1, 2);
        var time = new FakeTimeProvider();
        var section = JsonSettings.Parse("""
            {"HybridInference":{"Local":{"LoadBalancing":"Ordered","Backends":[
              {"Name":"vllm","Provider":"engine","Model":"m","Endpoint":"http://engines.test:8000/v1","Discovery":"Dns","ResolveInterval":"00:00:10"}]}}}
            """).GetSection("HybridInference");
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(time);
        services.AddSingleton<IBackendClientFactory>(factory);
        services.AddSingleton<IBackendAddressResolver>(resolver);
        var wrapped = 0;
        services.AddHybridInference(section).ConfigureBackend("vllm", backend => backend.Use((messages, options, next, token) =>
        {
            Interlocked.Increment(ref wrapped);
            return next(messages, options, token);
        }));
        services.AddLogging().AddHealthChecks().AddHybridInferenceBackends();
        await using var provider = services.BuildServiceProvider();
        var chat = provider.GetRequiredService<IChatClient>();
        var pool = provider.GetRequiredService<HybridInference.Status.ChainComponents>().Pools.Single();
        await pool.Membership!.Discovered.Single().LastResolution;

        var response = await chat.GetResponseAsync(User("Summarize: a short note."));

        Assert.Equal("vllm/10.0.0.1:8000", response.Text);
        Assert.Equal("vllm/10.0.0.1:8000", response.GetRouteOutcome()!.Backend);
        Assert.Equal(1, wrapped);
        var status = provider.GetRequiredService<IHybridInferenceStatus>().GetStatus();
        Assert.Equal(["vllm/10.0.0.1:8000", "vllm/10.0.0.2:8000"], status.Backends.Select(b => b.Name));

        // The health check of the configured name speaks for its members: healthy while one is.
        factory["vllm/10.0.0.1:8000"].Failing = true;
        for (var i = 0; i < 3; i++)
        {
            await chat.GetResponseAsync(User("Summarize: a short note."));
        }

        var health = (await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync()).Entries["hybrid_inference:vllm"];
        Assert.Equal((HealthStatus.Healthy, "vllm (Local): 1 of 2 members healthy"), (health.Status, health.Description));

        resolver.Answer(8000, 1, 2, 3);
        time.Advance(TimeSpan.FromSeconds(10));
        await pool.Membership.Discovered.Single().LastResolution;
        Assert.Equal(3, provider.GetRequiredService<IHybridInferenceStatus>().GetStatus().Backends.Count);
    }
}
