using HybridInference.Telemetry;
using HybridInference.Tests.Chain;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.Routing;

/// <summary>Routing:HedgeDelay on the fake clock: a late local answer races a cloud request; the first answer wins.</summary>
public sealed partial class HedgingTests
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
        await WaitUntilAsync(() => host.Cloud.Requests.Count == 1);
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
    public async Task CloudHedgeFailsFast_TheLateLocalAnswerStillWins()
    {
        using var host = Host();
        host.Local.Reply("local", delay: TimeSpan.FromSeconds(3));
        host.Cloud!.Throw(new BackendException(BackendErrorKind.ServerError, "The backend 'cloud' answered 500.", 500));

        var call = host.Chat.GetResponseAsync(User("Summarize: the meeting moved."));
        host.Time.Advance(TimeSpan.FromSeconds(2));
        await WaitUntilAsync(() => host.Cloud.Requests.Count == 1);
        host.Time.Advance(TimeSpan.FromSeconds(1));
        var response = await call;

        Assert.Equal("local", response.Text);
        Assert.Equal(1, host.Metrics.Sum(HybridInferenceTelemetry.Hedges, ("winner", "local")));
    }

    [Fact]
    public async Task LocalFailsWhileTheHedgeRuns_TheHedgeIsItsEscalation_OneCloudCall()
    {
        using var host = Host();
        host.Local.Throw(new BackendException(BackendErrorKind.ServerError, "The backend 'local' answered 500.", 500), delay: TimeSpan.FromSeconds(3));
        host.Cloud!.Reply("cloud", delay: TimeSpan.FromSeconds(5));

        var call = host.Chat.GetResponseAsync(User("Summarize: the meeting moved."));
        host.Time.Advance(TimeSpan.FromSeconds(2));
        await WaitUntilAsync(() => host.Cloud.Requests.Count == 1);
        host.Time.Advance(TimeSpan.FromSeconds(1));
        host.Time.Advance(TimeSpan.FromSeconds(4));
        var response = await call;

        Assert.Equal("cloud", response.Text);
        Assert.Single(host.Cloud.Requests);
        Assert.Equal(EscalationReason.Hedge, response.GetRouteOutcome()!.EscalationReason);
    }

    [Fact]
    public async Task Json_LateLocalAnswer_TheCloudAnswerIsValidatedAndWins()
    {
        using var host = Host();
        host.Local.Reply(ValidPerson, delay: TimeSpan.FromSeconds(10));
        host.Cloud!.DefaultReply = _ => "```json\n" + ValidPerson + "\n```";

        var call = host.Chat.GetResponseAsync(User("Extract."), Json());
        host.Time.Advance(TimeSpan.FromSeconds(2));
        var response = await call;

        Assert.Equal(ValidPerson, response.Text);
        Assert.Equal((BackendLane.Cloud, EscalationReason.Hedge), (response.GetRouteOutcome()!.Target, response.GetRouteOutcome()!.EscalationReason));
    }

    [Fact]
    public async Task Json_AnInvalidCloudAnswerLosesTheRace_TheValidLocalAnswerWins()
    {
        using var host = Host();
        host.Local.Reply(ValidPerson, delay: TimeSpan.FromSeconds(3));
        host.Cloud!.DefaultReply = _ => """{"name":"Ada"}""";

        var call = host.Chat.GetResponseAsync(User("Extract."), Json());
        host.Time.Advance(TimeSpan.FromSeconds(2));
        await WaitUntilAsync(() => host.Cloud.Requests.Count == 1);
        host.Time.Advance(TimeSpan.FromSeconds(1));
        var response = await call;

        Assert.Equal(ValidPerson, response.Text);
        Assert.Equal((BackendLane.Local, EscalationReason.None), (response.GetRouteOutcome()!.Target, response.GetRouteOutcome()!.EscalationReason));
    }

    [Fact]
    public async Task Json_LocalAnswerInvalidWhileTheHedgeRuns_NoRetryEscalation_TheHedgeAnswers()
    {
        using var host = Host();
        host.Local.Reply("""{"name":"Ada"}""", delay: TimeSpan.FromSeconds(3)).Reply("""{"name":"Ada"}""");
        host.Cloud!.Reply(ValidPerson, delay: TimeSpan.FromSeconds(5));

        var call = host.Chat.GetResponseAsync(User("Extract."), Json());
        host.Time.Advance(TimeSpan.FromSeconds(2));
        await WaitUntilAsync(() => host.Cloud.Requests.Count == 1);
        host.Time.Advance(TimeSpan.FromSeconds(1));

        // Both local answers are checked while the hedge still runs; the local lane then stands down.
        await WaitUntilAsync(() => host.Metrics.Sum(HybridInferenceTelemetry.ValidationFailures) == 2);
        host.Time.Advance(TimeSpan.FromSeconds(4));
        var response = await call;

        Assert.Equal(ValidPerson, response.Text);
        Assert.Single(host.Cloud.Requests);
        Assert.Equal(2, response.GetRouteOutcome()!.ValidationFailures);
        Assert.Equal(2, host.Local.Requests.Count);
    }

    [Fact]
    public async Task Streaming_LateFirstToken_TheCloudStreamStartsAndWins()
    {
        using var host = Host();
        host.Local.Reply("local", delay: TimeSpan.FromSeconds(10));
        host.Cloud!.ReplyInChunks("clo", "ud");

        var call = ToListAsync(host.Chat.GetStreamingResponseAsync(User("Summarize: the meeting moved.")));
        Assert.Empty(host.Cloud.Requests);
        host.Time.Advance(TimeSpan.FromSeconds(2));
        var updates = await call;

        Assert.Equal("cloud", string.Concat(updates.Select(u => u.Text)));
        var outcome = updates[^1].GetRouteOutcome()!;
        Assert.Equal((BackendLane.Cloud, EscalationReason.Hedge, 2), (outcome.Target, outcome.EscalationReason, outcome.Attempts));
        Assert.Equal(1, host.Metrics.Sum(HybridInferenceTelemetry.Hedges, ("winner", "cloud")));
        Assert.Equal(1, host.Metrics.Sum(HybridInferenceTelemetry.Escalations, ("reason", "hedge")));
    }

    [Fact]
    public async Task Streaming_FirstTokenWithinTheBudget_NoHedge()
    {
        using var host = Host();
        host.Local.Reply("local", delay: TimeSpan.FromSeconds(1));
        host.Cloud!.DefaultReply = _ => "cloud";

        var call = ToListAsync(host.Chat.GetStreamingResponseAsync(User("Summarize: the meeting moved.")));
        host.Time.Advance(TimeSpan.FromSeconds(1));
        var updates = await call;

        Assert.Equal("local", string.Concat(updates.Select(u => u.Text)));
        Assert.Empty(host.Cloud.Requests);
        Assert.Equal(0, host.Metrics.Sum(HybridInferenceTelemetry.Hedges));
    }

    [Fact]
    public async Task Streaming_LocalFirstTokenAfterTheHedgeStarted_LocalWinsAndTheCloudStreamIsCancelled()
    {
        using var host = Host();
        host.Local.Reply("local", delay: TimeSpan.FromSeconds(3));
        host.Cloud!.Reply("cloud", delay: TimeSpan.FromSeconds(5));

        var call = ToListAsync(host.Chat.GetStreamingResponseAsync(User("Summarize: the meeting moved.")));
        host.Time.Advance(TimeSpan.FromSeconds(2));
        await WaitUntilAsync(() => host.Cloud.Requests.Count == 1);
        host.Time.Advance(TimeSpan.FromSeconds(1));
        var updates = await call;

        Assert.Equal("local", string.Concat(updates.Select(u => u.Text)));
        var outcome = updates[^1].GetRouteOutcome()!;
        Assert.Equal((BackendLane.Local, EscalationReason.None, 2), (outcome.Target, outcome.EscalationReason, outcome.Attempts));
        Assert.Equal(1, host.Metrics.Sum(HybridInferenceTelemetry.Hedges, ("winner", "local")));
    }

    [Fact]
    public async Task Streaming_LocalOnly_IsNeverHedged()
    {
        using var host = Host();
        host.Local.Reply("local", delay: TimeSpan.FromSeconds(10));
        host.Cloud!.DefaultReply = _ => "cloud";

        var call = ToListAsync(host.Chat.GetStreamingResponseAsync(User("Summarize: the patient record."), new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly)));
        host.Time.Advance(TimeSpan.FromSeconds(10));

        Assert.Equal("local", string.Concat((await call).Select(u => u.Text)));
        Assert.Empty(host.Cloud.Requests);
    }

    [Fact]
    public async Task Streaming_Json_RacesWholeValidatedAnswers()
    {
        using var host = Host();
        host.Local.Reply(ValidPerson, delay: TimeSpan.FromSeconds(10));
        host.Cloud!.DefaultReply = _ => ValidPerson;

        var call = ToListAsync(host.Chat.GetStreamingResponseAsync(User("Extract."), Json()));
        host.Time.Advance(TimeSpan.FromSeconds(2));
        var updates = await call;

        Assert.Equal(ValidPerson, string.Concat(updates.Select(u => u.Text)));
        Assert.Equal(EscalationReason.Hedge, updates[^1].GetRouteOutcome()!.EscalationReason);
    }

    public static readonly TheoryData<string, string, bool> BothHalvesFail = Matrix();

    private static TheoryData<string, string, bool> Matrix()
    {
        var data = new TheoryData<string, string, bool>();
        foreach (var local in new[] { "server error", "raw bug", "http", "own cancellation", "own timeout", "slow" })
        {
            foreach (var cloud in new[] { "server error", "timeout", "rate limited", "budget exhausted", "circuit open", "validation", "raw bug", "own cancellation", "slow to fail" })
            {
                data.Add(local, cloud, false);
                data.Add(local, cloud, true);
            }
        }

        return data;
    }

    private static Exception LocalFailure(string kind) => kind switch
    {
        "server error" => new BackendException(BackendErrorKind.ServerError, "The backend 'local' answered 500.", 500),
        "raw bug" => new InvalidOperationException("a bug in the local backend's client"),
        "http" => new HttpRequestException("connection reset by the local server"),
        "own cancellation" => new TaskCanceledException("the local client's own timer"),
        _ => new TimeoutException("the local client's own timeout"),
    };
}
