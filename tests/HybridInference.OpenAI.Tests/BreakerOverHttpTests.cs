using System.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Polly.CircuitBreaker;
using Xunit.Abstractions;

namespace HybridInference.OpenAI.Tests;

/// <summary>
/// The local lane's breaker over HTTP on 127.0.0.1, in real time: a local server that goes down trips it after
/// <c>Routing:FailuresBeforeBreak</c> requests at low traffic (far below <c>MinimumThroughput</c>), and once it is back,
/// its first passed health probe ends the break (set to ten minutes here), so local traffic returns within about one
/// <c>HealthCheckInterval</c>.
/// </summary>
public sealed class BreakerOverHttpTests(ITestOutputHelper output) : IAsyncLifetime
{
    private LoopbackServer _local = null!;
    private LoopbackServer _cloud = null!;
    private ServiceProvider _services = null!;
    private IChatClient _chat = null!;
    private volatile Func<HttpContext, Task>? _outage;

    public async Task InitializeAsync()
    {
        _local = await LoopbackServer.StartAsync();
        _cloud = await LoopbackServer.StartAsync();
        _local.ProbesApart = _cloud.ProbesApart = true;
        var local = Completion("local");
        _local.Default = context => (_outage ?? Respond.Json(local))(context);
        _local.Probes = context => (_outage ?? Respond.Json("{}"))(context);
        _cloud.Default = Respond.Json(Completion("cloud"));
        var json = $$"""
            {
              "HybridInference": {
                "Routing": { "BreakDuration": "00:10:00", "RecoveryRamp": "00:00:00" },
                "Local": { "HealthCheckInterval": "00:00:00.5",
                           "Backends": [ { "Name": "llama", "Provider": "llamacpp", "Endpoint": "{{_local.V1}}", "Model": "m" } ] },
                "Cloud": { "Backends": [ { "Name": "openai", "Provider": "openai", "Endpoint": "{{_cloud.V1}}", "Model": "gpt-4o", "ApiKey": "sk-test", "AllowInsecureHttp": true } ] }
              }
            }
            """;
        var configuration = JsonSettings.Parse(json);
        var services = new ServiceCollection();
        services.AddHybridInference(configuration.GetSection("HybridInference")).AddOpenAIProviders();
        _services = services.BuildServiceProvider();
        _chat = _services.GetRequiredService<IChatClient>();
    }

    public async Task DisposeAsync()
    {
        await _services.DisposeAsync();
        await _local.DisposeAsync();
        await _cloud.DisposeAsync();
    }

    private static string Completion(string content) => Fixture.Completion("vllm", content);

    private static Func<HttpContext, Task> Outage(string kind) => kind switch
    {
        "loading" => Respond.Json("""{"error":{"code":503,"message":"Loading model","type":"unavailable_error"}}""", status: 503),
        "reset" => Respond.Abort(),
        _ => Respond.Json("""{"error":{"code":500,"message":"boom","type":"server_error"}}""", status: 500),
    };

    [Theory]
    [InlineData("loading", CircuitFailureReason.ServerError)]
    [InlineData("reset", CircuitFailureReason.Refused)]
    [InlineData("server-error", CircuitFailureReason.ServerError)]
    public async Task ServerDown_TripsAtLowTraffic_ServerBack_AProbeEndsTheBreak(string kind, CircuitFailureReason reason)
    {
        Assert.Equal("local", (await _chat.GetResponseAsync("Summarize: the meeting moved.")).Text);
        var circuit = _chat.GetService<CircuitBreakerStateProvider>()!;

        _outage = Outage(kind);
        var down = Stopwatch.StartNew();
        var requests = 0;
        while (circuit.CircuitState != CircuitState.Open && requests < 20)
        {
            Assert.Equal("cloud", (await _chat.GetResponseAsync("Summarize: the meeting moved.")).Text); // escalated, never a caller-visible failure
            requests++;
        }

        var tripped = down.Elapsed;
        Assert.Equal(CircuitState.Open, circuit.CircuitState);
        Assert.Equal(5, requests);
        var sent = _local.Requests.Count;
        for (var i = 0; i < 5; i++)
        {
            Assert.Equal("cloud", (await _chat.GetResponseAsync("Summarize: the meeting moved.")).Text);
        }

        Assert.Equal(sent, _local.Requests.Count); // while open, the local server is left alone
        var status = _services.GetRequiredService<IHybridInferenceStatus>();
        Assert.Equal(5, status.GetStatus().LocalCircuitFailures[reason]);
        Assert.NotNull(Assert.Single(status.GetStatus().Backends, b => b.Name == "llama").LastError);

        _outage = null;
        var back = Stopwatch.StartNew();
        string text;
        do
        {
            await Task.Delay(50);
            text = (await _chat.GetResponseAsync("Summarize: the meeting moved.")).Text;
        }
        while (text != "local" && back.Elapsed < TimeSpan.FromSeconds(10));

        var returned = back.Elapsed;
        output.WriteLine($"{kind}: open after {requests} requests in {tripped.TotalMilliseconds:0} ms; local again {returned.TotalMilliseconds:0} ms after the server came back (HealthCheckInterval 500 ms, BreakDuration 10 min)");
        Assert.Equal("local", text);
        Assert.Equal(CircuitState.Closed, circuit.CircuitState);
        Assert.Null(Assert.Single(status.GetStatus().Backends, b => b.Name == "llama").LastError); // cleared by the passed probe and the call
        Assert.True(returned < TimeSpan.FromSeconds(3), $"local traffic returned only after {returned}");
    }
}
