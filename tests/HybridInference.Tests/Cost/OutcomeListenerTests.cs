using HybridInference.Tests.Chain;
using Microsoft.Extensions.DependencyInjection;
using static HybridInference.Tests.Chain.Requests;

namespace HybridInference.Tests.Cost;

/// <summary>IRouteOutcomeListener: every finished request, answered or failed, once; a listener that throws harms nothing.</summary>
public sealed class OutcomeListenerTests
{
    private sealed class Recorder : IRouteOutcomeListener
    {
        public List<RouteOutcome> Outcomes { get; } = [];

        public void OnRequestFinished(RouteOutcome outcome) => Outcomes.Add(outcome);
    }

    private sealed class Thrower : IRouteOutcomeListener
    {
        public void OnRequestFinished(RouteOutcome outcome) => throw new InvalidOperationException("listener bug");
    }

    [Fact]
    public async Task EveryFinishedRequest_IsHeardOnce_EvenWhenAnotherListenerThrows()
    {
        var recorder = new Recorder();
        using var host = HybridHost.Create(services: s => s.AddSingleton<IRouteOutcomeListener>(new Thrower()).AddSingleton<IRouteOutcomeListener>(recorder));
        host.Local.Reply("hello").Throw(new BackendException(BackendErrorKind.ServerError, "The backend 'local' answered 500.", 500));
        host.Local.ReplyInChunks("str", "eam");

        await host.Chat.GetResponseAsync(User("Say hello"));
        await Assert.ThrowsAsync<LocalBackendUnavailableException>(() =>
            host.Chat.GetResponseAsync(User("Summarize the record."), new ChatOptions().WithDataPolicy(DataPolicy.LocalOnly)));
        await foreach (var update in host.Chat.GetStreamingResponseAsync(User("Say hello")))
        {
            _ = update;
        }

        Assert.Equal(3, recorder.Outcomes.Count);
        Assert.Equal((false, true, host.Time.GetUtcNow()), (recorder.Outcomes[0].Failed, recorder.Outcomes[0].OutputCommitted, recorder.Outcomes[0].StartedAt));
        Assert.Equal((true, false), (recorder.Outcomes[1].Failed, recorder.Outcomes[1].OutputCommitted));
        Assert.Equal((false, true, 2L), (recorder.Outcomes[2].Failed, recorder.Outcomes[2].OutputCommitted, recorder.Outcomes[2].OutputTokens));
    }

    [Fact]
    public async Task AStreamTheCallerStopsReading_IsStillRecorded()
    {
        var recorder = new Recorder();
        using var host = HybridHost.Create(services: s => s.AddSingleton<IRouteOutcomeListener>(recorder));
        host.Local.ReplyInChunks("a", "b", "c");

        await foreach (var update in host.Chat.GetStreamingResponseAsync(User("Say hello")))
        {
            break;
        }

        var outcome = Assert.Single(recorder.Outcomes);
        Assert.Equal((false, true, "local"), (outcome.Failed, outcome.OutputCommitted, outcome.Backend));
    }
}
