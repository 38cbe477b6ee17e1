using HybridInference.Telemetry;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.Routing;

/// <summary>Degradation of streams: only before the first update reached the caller.</summary>
public sealed partial class CloudDegradationTests
{
    [Fact]
    public async Task Stream_CloudFailsBeforeItsFirstUpdate_IsStreamedLocally()
    {
        using var host = Host();
        host.Cloud!.Throw(Failure("unreachable"));
        host.Local.ReplyInChunks("local ", "plan");

        var updates = await ToListAsync(host.Chat.GetStreamingResponseAsync(User("Plan the migration."), Category(TaskCategory.Complex)));

        Assert.Equal("local plan", string.Concat(updates.Select(u => u.Text)));
        var outcome = updates[^1].GetRouteOutcome()!;
        Assert.Equal((BackendLane.Local, RouteReason.CloudUnavailable), (outcome.Target, outcome.DecisionReason));
        Assert.Equal(1, host.Metrics.Sum(HybridInferenceTelemetry.Degradations, ("reason", "refused")));
    }

    [Fact]
    public async Task Stream_CloudFailsAfterItsFirstUpdate_IsNotDegraded_TheCallerSeesTheFailure()
    {
        using var host = Host();
        host.Cloud!.ThrowMidStream(Failure("server error"), "The first half");
        host.Local.Reply("never");
        var seen = new List<string>();

        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await foreach (var update in host.Chat.GetStreamingResponseAsync(User("Plan the migration."), Category(TaskCategory.Complex)))
            {
                seen.Add(update.Text);
            }
        });

        Assert.IsNotType<CloudUnavailableException>(error);
        Assert.Contains("The first half", seen);
        Assert.Empty(host.Local.Requests);
        Assert.Equal(0, host.Metrics.Sum(HybridInferenceTelemetry.Degradations));
    }

    [Fact]
    public async Task Stream_SafetyCriticalWork_FailsWithCloudUnavailableException_AtTheFirstRead()
    {
        using var host = Host();
        host.Cloud!.Throw(Failure("timeout"));

        var error = await Assert.ThrowsAsync<CloudUnavailableException>(() => ToListAsync(host.Chat.GetStreamingResponseAsync(User("Check the dosage."), Category(TaskCategory.SafetyCritical))));

        Assert.IsType<BackendException>(error.InnerException);
        Assert.Empty(host.Local.Requests);
    }
}
