using HybridInference.Tests.Chain;
using Microsoft.Extensions.DependencyInjection;
using Polly.CircuitBreaker;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.CircuitBreaker;

/// <summary>After the breaker closes, local gets traffic back gradually; failures are counted by reason.</summary>
public sealed class RecoveryRampTests
{
    private static HybridHost Host() => HybridHost.Create(System.Text.RegularExpressions.Regex.Replace(
        HybridHost.DefaultJson,
        "\"Routing\": \\{[^}]*\\}",
        "\"Routing\": { \"EscalationThreshold\": 0.5, \"MinimumThroughput\": 2, \"BreakDuration\": \"00:00:01\", \"RecoveryRamp\": \"00:00:10\" }"));

    private static async Task<int> LocalAnswersAsync(HybridHost host, int requests)
    {
        var local = 0;
        for (var i = 0; i < requests; i++)
        {
            local += (await host.Chat.GetResponseAsync(User("Summarize: the meeting moved."))).Text == "local" ? 1 : 0;
        }

        return local;
    }

    [Fact]
    public async Task AfterTheBreakerCloses_LocalShareGrowsOverTheRamp()
    {
        using var host = Host();
        host.Local.Throw(new BackendException(BackendErrorKind.ServerError, "500", statusCode: 500))
            .Throw(new BackendException(BackendErrorKind.Unavailable, "refused"));
        host.Local.DefaultReply = _ => "local";
        host.Cloud!.DefaultReply = _ => "cloud";
        var status = host.Provider.GetRequiredService<IHybridInferenceStatus>();

        await LocalAnswersAsync(host, 2); // both fail locally and escalate; the circuit opens
        Assert.Equal(CircuitState.Open, status.GetStatus().LocalCircuit);
        Assert.Equal(0, await LocalAnswersAsync(host, 3));

        host.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await LocalAnswersAsync(host, 1)); // the trial request succeeds and closes the circuit
        Assert.Equal(CircuitState.Closed, status.GetStatus().LocalCircuit);

        Assert.Equal(0, await LocalAnswersAsync(host, 4)); // just closed: local's share is still nothing
        host.Time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(5, await LocalAnswersAsync(host, 10)); // half-way: every other request
        host.Time.Advance(TimeSpan.FromSeconds(5));
        Assert.Equal(10, await LocalAnswersAsync(host, 10)); // ramp over

        var failures = status.GetStatus().LocalCircuitFailures;
        Assert.Equal((1L, 1L, 0L), (failures[CircuitFailureReason.ServerError], failures[CircuitFailureReason.Refused], failures[CircuitFailureReason.Validation]));
    }

    [Theory]
    [InlineData(BackendErrorKind.Disconnected, CircuitFailureReason.Disconnected)]
    [InlineData(BackendErrorKind.Unavailable, CircuitFailureReason.Refused)]
    [InlineData(BackendErrorKind.Timeout, CircuitFailureReason.Timeout)]
    [InlineData(BackendErrorKind.ServerError, CircuitFailureReason.ServerError)]
    [InlineData(BackendErrorKind.ModelLoading, CircuitFailureReason.ServerError)]
    [InlineData(BackendErrorKind.StreamError, CircuitFailureReason.ServerError)]
    [InlineData(BackendErrorKind.MalformedResponse, CircuitFailureReason.ServerError)]
    public async Task FailureReasons_MatchTheBackendsErrorKind(BackendErrorKind kind, CircuitFailureReason expected)
    {
        using var host = Host();
        host.Local.Throw(new BackendException(kind, "failed"));
        host.Cloud!.DefaultReply = _ => "cloud";

        await host.Chat.GetResponseAsync(User("Summarize: the meeting moved."));

        var failures = host.Provider.GetRequiredService<IHybridInferenceStatus>().GetStatus().LocalCircuitFailures;
        Assert.Equal(1L, failures[expected]);
        Assert.Equal(1L, failures.Values.Sum());
    }

    [Fact]
    public async Task RampedRequests_SayWhy()
    {
        using var host = Host();
        host.Local.Throw(new TimeoutException("slow")).Throw(new TimeoutException("slow"));
        host.Local.DefaultReply = _ => "local";
        host.Cloud!.DefaultReply = _ => "cloud";
        await LocalAnswersAsync(host, 2);
        host.Time.Advance(TimeSpan.FromSeconds(1));
        await LocalAnswersAsync(host, 1);

        var outcome = (await host.Chat.GetResponseAsync(User("Summarize: the meeting moved."))).GetRouteOutcome()!;

        Assert.Equal((BackendLane.Cloud, RouteReason.CircuitRecovering, EscalationReason.CircuitOpen), (outcome.Target, outcome.DecisionReason, outcome.EscalationReason));
        Assert.Equal(2L, host.Provider.GetRequiredService<IHybridInferenceStatus>().GetStatus().LocalCircuitFailures[CircuitFailureReason.Timeout]);
    }
}
