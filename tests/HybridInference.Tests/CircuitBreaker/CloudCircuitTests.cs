using System.Text.RegularExpressions;
using HybridInference.Telemetry;
using HybridInference.Tests.Chain;
using Microsoft.Extensions.DependencyInjection;
using Polly.CircuitBreaker;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.CircuitBreaker;

/// <summary>The cloud lane's breaker: repeated cloud failures open it; cloud-preferred work that may run locally goes local meanwhile.</summary>
public sealed class CloudCircuitTests
{
    private static HybridHost Host() => HybridHost.Create(Regex.Replace(
        HybridHost.DefaultJson,
        "\"Routing\": \\{[^}]*\\}",
        "\"Routing\": { \"EscalationThreshold\": 0.5, \"MinimumThroughput\": 2, \"BreakDuration\": \"00:00:30\" }"));

    private static readonly ChatOptions Complex = new ChatOptions().WithTaskCategory(TaskCategory.Complex);

    private static readonly ChatOptions SafetyCritical = new ChatOptions().WithTaskCategory(TaskCategory.SafetyCritical);

    private static BackendException ServerError() => new(BackendErrorKind.ServerError, "The backend 'cloud' answered 500.", 500);

    /// <summary>Two cloud failures of safety-critical work, which fails rather than degrades (Routing:OnCloudUnavailable's default).</summary>
    private static async Task TripAsync(HybridHost host)
    {
        host.Cloud!.Throw(ServerError()).Throw(ServerError());
        for (var i = 0; i < 2; i++)
        {
            var error = await Assert.ThrowsAsync<CloudUnavailableException>(() => host.Chat.GetResponseAsync(User("Check the dosage."), SafetyCritical));
            Assert.IsType<BackendException>(error.InnerException);
        }

        Assert.Empty(host.Local.Requests);
    }

    [Fact]
    public async Task CloudFailuresPastTheThreshold_OpenIt_AndComplexWorkRunsLocally()
    {
        using var host = Host();
        await TripAsync(host);
        host.Local.Reply("local plan");

        var response = await host.Chat.GetResponseAsync(User("Plan the migration."), Complex);

        Assert.Equal("local plan", response.Text);
        var outcome = response.GetRouteOutcome()!;
        Assert.Equal((BackendLane.Local, RouteReason.CloudCircuitOpen, EscalationReason.None), (outcome.Target, outcome.DecisionReason, outcome.EscalationReason));
        Assert.Equal(2, host.Cloud!.Requests.Count);

        var status = host.Provider.GetRequiredService<IHybridInferenceStatus>().GetStatus();
        Assert.Equal((CircuitState.Open, CircuitState.Closed), (status.CloudCircuit, status.LocalCircuit));
        Assert.Equal(2, status.CloudCircuitFailures[CircuitFailureReason.ServerError]);
        host.Metrics.RecordObservableInstruments();
        Assert.Contains(host.Metrics.Of(HybridInferenceTelemetry.CircuitState), m => m.Tag("lane") == "cloud" && m.Value == 1);
    }

    [Fact]
    public async Task WhileOpen_AnEscalationFailsFast_WithATypedErrorAndNothingSent()
    {
        using var host = Host();
        await TripAsync(host);
        host.Local.Throw(new BackendException(BackendErrorKind.ServerError, "The backend 'local' answered 500.", 500));

        var error = await Assert.ThrowsAsync<BackendException>(() => host.Chat.GetResponseAsync(User("Say hello")));

        Assert.Equal(BackendErrorKind.Unavailable, error.Kind);
        Assert.Contains("cloud lane's circuit breaker is open", error.Message, StringComparison.Ordinal);
        Assert.IsType<BrokenCircuitException>(error.InnerException);
        Assert.Equal(2, host.Cloud!.Requests.Count);
    }

    [Fact]
    public async Task AfterTheBreak_TheCloudIsTriedAgain()
    {
        using var host = Host();
        await TripAsync(host);
        host.Time.Advance(TimeSpan.FromSeconds(31));
        host.Cloud!.Reply("cloud plan");

        var response = await host.Chat.GetResponseAsync(User("Plan the migration."), Complex);

        Assert.Equal("cloud plan", response.Text);
        Assert.Equal(RouteReason.Category, response.GetRouteOutcome()!.DecisionReason);
        Assert.Equal(CircuitState.Closed, host.Provider.GetRequiredService<IHybridInferenceStatus>().GetStatus().CloudCircuit);
    }

    [Fact]
    public async Task ContextLimitRequests_AreNotMovedLocally_TheyFailFast()
    {
        using var host = Host();
        await TripAsync(host);

        var error = await Assert.ThrowsAsync<BackendException>(() => host.Chat.GetResponseAsync(User(LongText(5000))));

        Assert.Equal(BackendErrorKind.Unavailable, error.Kind);
        Assert.Empty(host.Local.Requests);
    }
}
