namespace HybridInference.Engine.Tests;

/// <summary>
/// Plain and streamed answers from a real llama-server through the whole chain. llama-server closes the connection
/// after every stream although it said keep-alive, so the next request on that connection is the race a client can
/// lose: many streams in a row, and streams between plain calls, must all succeed.
/// </summary>
[Collection(EngineCollection.Name)]
public sealed class AnswerTests(EngineFixture engine) : SharedServerTest
{
    private protected override EngineFixture Shared => engine;

    private static ChatOptions Short(int tokens = 8) => new() { MaxOutputTokens = tokens };

    [Fact]
    public async Task PlainAnswer_FromTheRealServer_RunsLocallyWithUsage()
    {
        await using var chain = EngineChain.Build(EngineChain.Settings(engine.Server, engine.Cloud));

        var response = await chain.Chat.GetResponseAsync("Say hello.", Short());

        var outcome = response.GetRouteOutcome()!;
        Assert.Equal((BackendLane.Local, "llama", EscalationReason.None), (outcome.Target, outcome.Backend, outcome.EscalationReason));
        Assert.False(string.IsNullOrEmpty(response.Text));
        Assert.Equal(ChatFinishReason.Length, response.FinishReason); // random weights never emit EOS
        Assert.Equal(8, outcome.OutputTokens);
        Assert.True(outcome.InputTokens > 0);
    }

    [Fact]
    public async Task StreamedAnswer_FromTheRealServer_ArrivesInSeveralUpdatesWithTheOutcomeOnTheLast()
    {
        await using var chain = EngineChain.Build(EngineChain.Settings(engine.Server, engine.Cloud));

        List<ChatResponseUpdate> updates = [];
        await foreach (var update in chain.Chat.GetStreamingResponseAsync("Say hello.", Short()))
        {
            updates.Add(update);
        }

        Assert.True(updates.Count(u => u.Text.Length > 0) >= 2, "expected the text in several updates");
        var outcome = updates[^1].GetRouteOutcome()!;
        Assert.Equal((BackendLane.Local, "llama"), (outcome.Target, outcome.Backend));
        Assert.Equal(8, outcome.OutputTokens);
    }

    [Theory]
    [InlineData("streams only", 50, 0)]
    [InlineData("streams alternating with plain calls", 25, 25)]
    public async Task ManyCalls_OnAServerThatClosesAfterEveryStream_NoneFails(string what, int streams, int plain)
    {
        await using var chain = EngineChain.Build(EngineChain.Settings(engine.Server, engine.Cloud));
        var cloudBefore = engine.Cloud.ChatRequests;
        List<string> failures = [];

        for (var i = 0; i < streams + plain; i++)
        {
            var streamed = plain == 0 || i % 2 == 0;
            try
            {
                RouteOutcome? outcome;
                if (streamed)
                {
                    outcome = null;
                    await foreach (var update in chain.Chat.GetStreamingResponseAsync($"Count to {i}.", Short(4)))
                    {
                        outcome = update.GetRouteOutcome() ?? outcome;
                    }
                }
                else
                {
                    outcome = (await chain.Chat.GetResponseAsync($"Count to {i}.", Short(4))).GetRouteOutcome();
                }

                if (outcome is not { Target: BackendLane.Local, Attempts: 1 })
                {
                    failures.Add($"call {i} ({(streamed ? "stream" : "plain")}): {outcome?.Target} after {outcome?.Attempts} attempts");
                }
            }
            catch (Exception e)
            {
                failures.Add($"call {i} ({(streamed ? "stream" : "plain")}): {e.GetType().Name}: {e.Message}");
            }
        }

        Assert.True(failures.Count == 0, $"{what}: {failures.Count} of {streams + plain} failed or did not run once locally:\n{string.Join('\n', failures)}");
        Assert.Equal(cloudBefore, engine.Cloud.ChatRequests);
        Assert.Equal(0, chain.Local.ConsecutiveFailures);
    }
}
