using HybridInference.Telemetry;
using HybridInference.Tests.Chain;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.Routing;

/// <summary>Routing:HedgeDelay on the fake clock: a late local answer races a cloud request; the first answer wins.</summary>
public sealed class HedgingTests
{
    private static HybridHost Host() => HybridHost.Create(HybridHost.DefaultJsonWith("Routing", "\"HedgeDelay\": \"00:00:02\""));

    [Fact]
    public async Task LateLocalAnswer_CloudStartsAndWins_LocalIsCancelled()
    {
        using var host = Host();
        host.Local.Reply("local", delay: TimeSpan.FromSeconds(10));
        host.Cloud!.DefaultReply = _ => "cloud";

        var call = host.Chat.GetResponseAsync(User("Summarize: the meeting moved."));
        Assert.Empty(host.Cloud.Requests);
        host.Time.Advance(TimeSpan.FromSeconds(2));
        var response = await call;

        Assert.Equal("cloud", response.Text);
        var outcome = response.GetRouteOutcome()!;
        Assert.Equal((BackendLane.Cloud, "cloud", EscalationReason.Hedge, RouteTarget.Local), (outcome.Target, outcome.Backend, outcome.EscalationReason, outcome.Decision));
        Assert.Equal(2, outcome.Attempts);
        Assert.True(outcome.CostUsd > 0);
        Assert.Equal(1, host.Metrics.Sum(HybridInferenceTelemetry.Hedges, ("winner", "cloud")));
        Assert.Equal(1, host.Metrics.Sum(HybridInferenceTelemetry.Escalations, ("reason", "hedge")));

        // The local attempt was cancelled: advancing past its delay does not make it answer.
        host.Time.Advance(TimeSpan.FromSeconds(10));
        Assert.Single(host.Local.Requests);
    }

    [Fact]
    public async Task LocalAnswersWithinTheBudget_NoHedge()
    {
        using var host = Host();
        host.Local.Reply("local", delay: TimeSpan.FromSeconds(1));
        host.Cloud!.DefaultReply = _ => "cloud";

        var call = host.Chat.GetResponseAsync(User("Summarize: the meeting moved."));
        host.Time.Advance(TimeSpan.FromSeconds(1));

        Assert.Equal("local", (await call).Text);
        Assert.Empty(host.Cloud.Requests);
        Assert.Equal(0, host.Metrics.Sum(HybridInferenceTelemetry.Hedges));
    }

    [Fact]
    public async Task LocalWinsAfterTheHedgeStarted_TheCloudAttemptIsCountedAndCancelled()
    {
        using var host = Host();
        host.Local.Reply("local", delay: TimeSpan.FromSeconds(3));
        host.Cloud!.Reply("cloud", delay: TimeSpan.FromSeconds(5));

        var call = host.Chat.GetResponseAsync(User("Summarize: the meeting moved."));
        host.Time.Advance(TimeSpan.FromSeconds(2));
        host.Time.Advance(TimeSpan.FromSeconds(1));
        var response = await call;

        Assert.Equal("local", response.Text);
        var outcome = response.GetRouteOutcome()!;
        Assert.Equal((BackendLane.Local, EscalationReason.None, 2), (outcome.Target, outcome.EscalationReason, outcome.Attempts));
        Assert.Equal(1, host.Metrics.Sum(HybridInferenceTelemetry.Hedges, ("winner", "local")));
    }

    [Fact]
    public async Task LocalOnly_IsNeverHedged()
    {
        using var host = Host();
        host.Local.Reply("local", delay: TimeSpan.FromSeconds(10));
        host.Cloud!.DefaultReply = _ => "cloud";

        var call = host.Chat.GetResponseAsync(User("Summarize: the patient record."), new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly));
        host.Time.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal("local", (await call).Text);
        Assert.Empty(host.Cloud.Requests);
    }

    [Fact]
    public async Task JsonRequests_AreNotHedged()
    {
        using var host = Host();
        host.Local.Reply(ValidPerson, delay: TimeSpan.FromSeconds(10));
        host.Cloud!.DefaultReply = _ => ValidPerson;

        var call = host.Chat.GetResponseAsync(User("Extract."), Json());
        host.Time.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal(ValidPerson, (await call).Text);
        Assert.Empty(host.Cloud.Requests);
    }
}
